-- Requests for change, their testers, test plans, comments and timelines.

CREATE TABLE rfcs (
    -- The n of RFC-n. AUTOINCREMENT: a number is never reused, even after a delete.
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    template     TEXT NOT NULL,
    title        TEXT NOT NULL,
    requester    TEXT NOT NULL,
    department   TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL,
    held_from    TEXT,                       -- the state before on_hold
    priority     TEXT,
    risk         TEXT,
    fields       TEXT NOT NULL DEFAULT '{}', -- JSON: template and core answers
    package      TEXT,                       -- linked package (the manifest is the truth)
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 1  -- bumped on every change: optimistic locking
);
CREATE INDEX rfcs_state ON rfcs (state, id);
CREATE INDEX rfcs_template ON rfcs (template, id);
CREATE INDEX rfcs_department ON rfcs (department, id);
CREATE INDEX rfcs_requester ON rfcs (requester, id);
CREATE INDEX rfcs_package ON rfcs (package, id);
CREATE INDEX rfcs_updated ON rfcs (updated_at, id);

CREATE TABLE rfc_testers (
    rfc_id      INTEGER NOT NULL REFERENCES rfcs (id),
    environment TEXT NOT NULL,
    email       TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (rfc_id, environment, email)
);

CREATE TABLE rfc_test_cases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rfc_id      INTEGER NOT NULL REFERENCES rfcs (id),
    environment TEXT NOT NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    steps       TEXT NOT NULL DEFAULT '',
    expected    TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rfc_test_cases_rfc ON rfc_test_cases (rfc_id, environment, position);

CREATE TABLE rfc_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    rfc_id     INTEGER NOT NULL REFERENCES rfcs (id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX rfc_comments_rfc ON rfc_comments (rfc_id, id);

-- The timeline of one RFC: every change, in order.
CREATE TABLE rfc_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    rfc_id     INTEGER NOT NULL REFERENCES rfcs (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,     -- created, edited, submit, approve, ..., commented, tester_added, linked
    from_state TEXT,
    to_state   TEXT,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rfc_events_rfc ON rfc_events (rfc_id, id);

-- Full-text search over title and answers; rowid = rfcs.id, kept in step by the store.
CREATE VIRTUAL TABLE rfc_search USING fts5 (title, body, tokenize = 'unicode61 remove_diacritics 2');
