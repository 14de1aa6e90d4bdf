DROP INDEX delivery_activities_created;
DROP INDEX deliveries_finished;
ALTER TABLE acme_certificates DROP COLUMN ari_renew_at, DROP COLUMN ari_next_check;
