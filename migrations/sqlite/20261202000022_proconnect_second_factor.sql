-- Issue 21: sign-in with ProConnect, the agent's verified link to an
-- organisation, and a second factor for staff.

-- A ProConnect identity (`sub` of the provider) linked to an account. The
-- claims are those of the last sign-in: the SIRET of the organisation the
-- agent works for, as the agent's identity provider vouches for it.
CREATE TABLE user_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    email TEXT NOT NULL,
    given_name TEXT,
    usual_name TEXT,
    siret TEXT,
    uid TEXT,
    linked_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
-- One identity per provider and account.
CREATE UNIQUE INDEX user_identities_user ON user_identities (user_id, provider);

-- The staff's authenticator app (RFC 6238, 30 s, 6 digits, SHA-1 as every
-- app reads it). `confirmed_at` is set once a first code proved the app has
-- the secret; `last_step` is the time step of the last code accepted: a code
-- is never accepted twice.
CREATE TABLE totp_factors (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0
);

-- One-time recovery codes (SHA-256 of 60 random bits each: no slow hash
-- needed, they are not chosen by people).
CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Whether the applicant, when submitting, was an agent of the request's
-- organisation according to ProConnect ('proconnect'), or not shown to be
-- (NULL: "non vérifié").
ALTER TABLE requests ADD COLUMN agent_link TEXT;
CREATE INDEX requests_agent_link ON requests (agent_link);
