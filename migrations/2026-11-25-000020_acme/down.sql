DROP TABLE acme_orders;
DROP TABLE acme_issuance;
DROP TABLE acme_challenges;
DROP TABLE acme_certificates;
DROP TABLE acme_accounts;
