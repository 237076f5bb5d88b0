-- What an API token may do: a JSON array of scopes (read, rfc.write,
-- promote, metrics). NULL for tokens made before scopes: they keep every
-- scope (DESIGN §15).
ALTER TABLE api_tokens ADD COLUMN scopes TEXT;
