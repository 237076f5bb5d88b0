-- An emergency promotion bypassed freeze or soak: someone else with
-- rfc.assess must approve it afterwards, within [emergency] review_within.
CREATE TABLE emergency_reviews (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    commit_id    TEXT NOT NULL UNIQUE,
    environment  TEXT NOT NULL,
    packages     TEXT NOT NULL,      -- JSON, as in promotions
    promoted_by  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    approved_by  TEXT,
    approved_at  TEXT,
    comment      TEXT NOT NULL DEFAULT '',
    escalated_at TEXT
);
CREATE INDEX emergency_reviews_open ON emergency_reviews (approved_at, due_at);
