-- Expiry reminders (J-90, 60, 30, 15, 7, 0), one row per reminder sent or
-- passed over, for the expiry it was about: a renewal (new expiry) starts a
-- new series; the primary key makes each one once, across instances.
CREATE TABLE token_reminders (
    token_id TEXT NOT NULL REFERENCES tokens (id),
    expires_at BIGINT NOT NULL,
    days BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (token_id, expires_at, days)
);
