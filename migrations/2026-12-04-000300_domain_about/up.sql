-- What a tenant says about itself on its front page, its about page and the
-- instance API: a description and an ordered list of rules.
ALTER TABLE domains ADD COLUMN description TEXT NOT NULL DEFAULT '';
CREATE TABLE domain_rules (
    id BIGINT PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX domain_rules_domain ON domain_rules (domain_id, position);
