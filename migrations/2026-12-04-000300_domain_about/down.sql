DROP TABLE domain_rules;
ALTER TABLE domains DROP COLUMN description;
