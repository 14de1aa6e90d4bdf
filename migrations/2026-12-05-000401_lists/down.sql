DROP TABLE featured_tags;
DROP TABLE tag_follows;
DROP TABLE tags;
DROP TABLE list_accounts;
DROP TABLE lists;
