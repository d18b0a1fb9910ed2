-- The strings of a token (issue 19: rotation). A token is the
-- authorisation (scopes, expiry, revocation, rate limit, usage); each of
-- its strings is a JWT whose `jti` is a row here. The current string has
-- no `retired_at`; a replaced one is accepted until `retired_at` (the end
-- of the grace its holder chose). Tokens issued before keep their string:
-- its `jti` is the token's id.
CREATE TABLE token_strings (
    jti TEXT PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens (id),
    issued_at BIGINT NOT NULL,
    retired_at BIGINT,
    retired_by BIGINT
);
CREATE INDEX token_strings_token_idx ON token_strings (token_id);
CREATE UNIQUE INDEX token_strings_current_idx ON token_strings (token_id) WHERE retired_at IS NULL;
INSERT INTO token_strings (jti, token_id, issued_at) SELECT id, id, issued_at FROM tokens;
