DROP TRIGGER domain_hosts_forget_acme ON domain_hosts;
DROP FUNCTION acme_forget_host();
DELETE FROM acme_certificates WHERE host NOT IN (SELECT host FROM domain_hosts);
DELETE FROM acme_challenges WHERE host NOT IN (SELECT host FROM domain_hosts);
DELETE FROM acme_issuance WHERE host NOT IN (SELECT host FROM domain_hosts);
ALTER TABLE acme_certificates ADD CONSTRAINT acme_certificates_host_fkey FOREIGN KEY (host) REFERENCES domain_hosts (host) ON DELETE CASCADE;
ALTER TABLE acme_challenges ADD CONSTRAINT acme_challenges_host_fkey FOREIGN KEY (host) REFERENCES domain_hosts (host) ON DELETE CASCADE;
ALTER TABLE acme_issuance ADD CONSTRAINT acme_issuance_host_fkey FOREIGN KEY (host) REFERENCES domain_hosts (host) ON DELETE CASCADE;
