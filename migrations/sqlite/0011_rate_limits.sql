-- Request counters per client address and minute, shared by every instance
-- (sign-off links and login are rate limited across the whole deployment).
CREATE TABLE rate_limits (
    client       TEXT NOT NULL,
    window_start TEXT NOT NULL,   -- the minute, e.g. 2026-11-23T21:50
    hits         BIGINT NOT NULL,
    PRIMARY KEY (client, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
