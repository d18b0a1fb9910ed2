-- API calls counted per token and per day (UTC), for the client space's
-- "calls over the last 7 days". Written in batches by each instance.
CREATE TABLE token_usage (
    token_id TEXT NOT NULL REFERENCES tokens (id),
    day BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (token_id, day)
);
