-- API calls counted per token, minute (since the epoch, UTC), operation and
-- outcome (issue 20: usage over 10 minutes, 30 hours and 8 days, per
-- operation, refusals by code). Each instance adds its counts in batches
-- (INSERT … ON CONFLICT … calls + excluded.calls): the sums are exact across
-- instances. Rows older than 9 days are deleted.
CREATE TABLE api_calls (
    token_id TEXT NOT NULL REFERENCES tokens (id),
    minute BIGINT NOT NULL,
    -- The contract's path of the operation ('' for the daily counts carried
    -- over from token_usage).
    operation TEXT NOT NULL,
    -- The HTTP status answered (0 for the daily counts carried over).
    status INTEGER NOT NULL,
    -- API Entreprise's error code ('' for an answer without one).
    code TEXT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (token_id, minute, operation, status, code)
);
CREATE INDEX api_calls_minute ON api_calls (minute);

INSERT INTO api_calls (token_id, minute, operation, status, code, calls)
SELECT token_id, day * 1440, '', 0, '', calls FROM token_usage;
DROP TABLE token_usage;

-- When the token's technical contact was last told that its integration is
-- failing (at most once a day per token).
ALTER TABLE tokens ADD COLUMN failing_alert_at BIGINT;
