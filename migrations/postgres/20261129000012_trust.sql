-- Trust (issue 15).
-- The request's current technical contact, normalised (trimmed, lowercased):
-- with the applicant, the only people who see the request's token.
ALTER TABLE requests ADD COLUMN technical_email TEXT;
UPDATE requests SET technical_email = NULLIF(LOWER(TRIM(
    COALESCE(data::jsonb #>> '{contacts,technical,email}', ''))), '');
CREATE INDEX requests_technical_email_idx ON requests (technical_email);
-- What the server's directory says of the organisation (JSON), resolved on
-- save and on submit; the request's data keeps what the applicant typed.
ALTER TABLE requests ADD COLUMN organisation_check TEXT;
-- Tokens are seen by their request's people, not by an organisation's
-- "members": membership is gone.
DROP TABLE client_space_members;
-- Failed sign-ins per account, for the per-account lock.
CREATE TABLE sign_in_failures (
    email TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    locked_until BIGINT,
    notified_at BIGINT
);
-- Removed attachments whose file was deleted from the store.
ALTER TABLE attachments ADD COLUMN purged_at BIGINT;
CREATE INDEX attachments_uploader_idx ON attachments (uploaded_by);
-- The uploads each account runs, across every instance: at most two slots,
-- each held under a lease (a crashed instance's slot frees itself).
CREATE TABLE upload_slots (
    user_id BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    lease_id TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    PRIMARY KEY (user_id, slot)
);
