-- Rate limits shared by every instance on one database: the uses counted
-- per key (a token, a client address) and per minute. Each instance takes
-- its share in small leases, so a limit holds however many instances serve.
CREATE TABLE rate_windows (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_windows_window_idx ON rate_windows (window_start);
