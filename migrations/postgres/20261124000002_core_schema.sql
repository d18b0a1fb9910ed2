-- Core schema: accounts, organisations, requests with versions, snapshots,
-- append-only events, messages, attachments, client spaces, tokens, one-time
-- links and the email outbox. Times are milliseconds since the Unix epoch.

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'instructor', 'admin')),
    email_verified_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE organisations (
    siret TEXT PRIMARY KEY,
    siren TEXT NOT NULL,
    name TEXT NOT NULL,
    legal_category TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

ALTER TABLE requests ADD COLUMN applicant_id BIGINT REFERENCES users (id);
ALTER TABLE requests ADD COLUMN siret TEXT;
ALTER TABLE requests ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
ALTER TABLE requests ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE requests ADD COLUMN submitted_at BIGINT;
ALTER TABLE requests ADD COLUMN duplicated_from BIGINT REFERENCES requests (id);
CREATE INDEX requests_applicant_idx ON requests (applicant_id, updated_at);
CREATE INDEX requests_siret_idx ON requests (siret);

CREATE TABLE request_snapshots (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    submission_no BIGINT NOT NULL,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (request_id, submission_no)
);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    actor_role TEXT,
    message TEXT,
    payload TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_request_idx ON events (request_id, id);
CREATE FUNCTION events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    author_id BIGINT REFERENCES users (id),
    author_role TEXT NOT NULL,
    body TEXT NOT NULL,
    internal BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    read_by_applicant_at BIGINT,
    read_by_instructors_at BIGINT
);
CREATE INDEX messages_request_idx ON messages (request_id, id);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX attachments_request_idx ON attachments (request_id);

CREATE TABLE client_spaces (
    id BIGSERIAL PRIMARY KEY,
    siret TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE client_space_members (
    space_id BIGINT NOT NULL REFERENCES client_spaces (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (space_id, user_id)
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    space_id BIGINT NOT NULL REFERENCES client_spaces (id),
    request_id BIGINT NOT NULL UNIQUE REFERENCES requests (id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    rate_limit_per_minute BIGINT NOT NULL DEFAULT 250,
    last_used_at BIGINT
);
CREATE INDEX tokens_space_idx ON tokens (space_id);

CREATE TABLE one_time_links (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    voided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX one_time_links_user_idx ON one_time_links (user_id, purpose);

CREATE TABLE email_outbox (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX email_outbox_pending_idx ON email_outbox (sent_at, next_attempt_at);
