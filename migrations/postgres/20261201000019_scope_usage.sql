-- When each scope of a token last opened a call, and when an update granted
-- it (issue 19: a renewal proposes to remove the sensitive scopes unused for
-- 90 days). Calls are written in batches by each instance with the other
-- usage counts.
CREATE TABLE token_scope_usage (
    token_id TEXT NOT NULL REFERENCES tokens (id),
    scope TEXT NOT NULL,
    last_used_at BIGINT,
    granted_at BIGINT,
    PRIMARY KEY (token_id, scope)
);
