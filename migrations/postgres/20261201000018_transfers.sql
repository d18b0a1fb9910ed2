-- A request (or authorisation) handed to a colleague (issue 19): offered by
-- its applicant or by staff to an address, accepted through the one-time
-- link emailed there; then the colleague is its applicant. One pending
-- offer per request: a new one voids the previous.
CREATE TABLE transfers (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    from_user_id BIGINT REFERENCES users (id),
    to_user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    offered_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    voided_at BIGINT
);
CREATE INDEX transfers_request_idx ON transfers (request_id);
