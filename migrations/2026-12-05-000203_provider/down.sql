DROP TABLE tenant_provisioning;
DROP TABLE provider_keys;
