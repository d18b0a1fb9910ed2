-- Other gateways that verify Guichet's tokens (issue 20): each has a client
-- credential, created by an administrator, for RFC 7662 introspection
-- (`POST /oauth/introspect`) and the revocation feed (`GET /oauth/revocations`).
-- Only the SHA-256 of the secret is kept (256 random bits: no slow hash needed).
CREATE TABLE gateway_clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
