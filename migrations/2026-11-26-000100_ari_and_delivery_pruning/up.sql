-- ACME Renewal Information (RFC 9773) per stored certificate: the time
-- picked inside the window the CA suggested (NULL: no suggestion, renew by
-- lifetime) and when to ask the CA again (its Retry-After; NULL: ask now).
-- Both are cleared when the certificate is replaced.
ALTER TABLE acme_certificates
    ADD COLUMN ari_renew_at TIMESTAMPTZ,
    ADD COLUMN ari_next_check TIMESTAMPTZ;

-- Pruning of the delivery queue (kereru_delivery::queue::prune): finished
-- rows by when they finished, activities by age.
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE state <> 'queued';
CREATE INDEX delivery_activities_created ON delivery_activities (created_at);
