-- The provider host ([provider] host) is served over HTTPS like a tenant's
-- host but belongs to no tenant, so certificates, challenges and issuance
-- state may name hosts outside domain_hosts. A trigger keeps what the foreign
-- keys' cascades did: removing a tenant's host removes its ACME rows.
ALTER TABLE acme_certificates DROP CONSTRAINT acme_certificates_host_fkey;
ALTER TABLE acme_challenges DROP CONSTRAINT acme_challenges_host_fkey;
ALTER TABLE acme_issuance DROP CONSTRAINT acme_issuance_host_fkey;

CREATE FUNCTION acme_forget_host() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM acme_certificates WHERE host = OLD.host;
    DELETE FROM acme_challenges WHERE host = OLD.host;
    DELETE FROM acme_issuance WHERE host = OLD.host;
    RETURN OLD;
END
$$;

CREATE TRIGGER domain_hosts_forget_acme AFTER DELETE ON domain_hosts
    FOR EACH ROW EXECUTE FUNCTION acme_forget_host();
