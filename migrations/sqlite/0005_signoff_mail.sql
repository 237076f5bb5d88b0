-- Mail outbox, written in the same transaction as the change that causes a mail.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NOT NULL UNIQUE,      -- fixed per row: a retry is the same mail
    kind            TEXT NOT NULL,             -- invitation, reminder, escalation, rejection, state, promotion
    recipients      TEXT NOT NULL,             -- JSON array of addresses
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending, sending, sent, dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    claimed_until   TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Personal sign-off links. Only the token's SHA-256 is stored.
CREATE TABLE signoff_links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    rfc_id       INTEGER NOT NULL REFERENCES rfcs (id),
    environment  TEXT NOT NULL,
    tester       TEXT NOT NULL,
    package      TEXT NOT NULL,
    version      TEXT NOT NULL,
    tree         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    invited_at   TEXT NOT NULL,              -- the first invitation of this tester for this tree
    used_at      TEXT,
    revoked_at   TEXT,
    reminded_at  TEXT,
    escalated_at TEXT
);
CREATE INDEX signoff_links_open ON signoff_links (used_at, revoked_at, created_at);
CREATE INDEX signoff_links_rfc ON signoff_links (rfc_id, environment, tester);

-- Per test case results of a verdict.
CREATE TABLE signoff_cases (
    signoff_id INTEGER NOT NULL REFERENCES signoffs (id),
    case_id    INTEGER NOT NULL,
    result     TEXT NOT NULL,                 -- pass, fail
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (signoff_id, case_id)
);

ALTER TABLE signoffs ADD COLUMN link_id INTEGER;
