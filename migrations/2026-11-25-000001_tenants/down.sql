DROP TABLE users;
DROP TABLE accounts;
DROP TABLE domain_hosts;
DROP TABLE domains;
