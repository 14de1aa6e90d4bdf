DROP TABLE quota_exceeded_notices;
DROP TABLE tenant_dns_ready;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhooks;
