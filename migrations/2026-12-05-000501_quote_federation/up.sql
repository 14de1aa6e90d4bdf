-- Quotes across servers (FEP-044f, as Mastodon 4.5 federates them).
-- request_uri: the QuoteRequest that asked for the quote (ours for a local
-- post quoting a remote one, the other server's for a remote post quoting
-- one of ours), matched when the Accept or Reject comes back.
-- authorization_uri: the QuoteAuthorization that approved it (the quoted
-- author's server's; for a quote of one of our posts, the one we serve),
-- matched when a Delete revokes it.
ALTER TABLE status_quotes ADD COLUMN request_uri TEXT;
ALTER TABLE status_quotes ADD COLUMN authorization_uri TEXT;
CREATE INDEX status_quotes_request ON status_quotes (request_uri) WHERE request_uri IS NOT NULL;
CREATE INDEX status_quotes_authorization ON status_quotes (authorization_uri) WHERE authorization_uri IS NOT NULL;
