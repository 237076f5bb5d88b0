-- Promotions and rollbacks: an intent row before the ref update, completed after.
CREATE TABLE promotions (
    id           TEXT PRIMARY KEY NOT NULL,  -- also the Dtap-Intent trailer of its commit
    kind         TEXT NOT NULL,              -- promote, rollback
    environment  TEXT NOT NULL,              -- the target
    packages     TEXT NOT NULL,              -- JSON: [{package, version, from_version, tree, rfcs}]
    base_commit  TEXT NOT NULL,              -- the head read at the start
    commit_id    TEXT,                       -- set when done
    state        TEXT NOT NULL,              -- pending, done, failed
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    emergency    INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT NOT NULL,              -- host:pid of the process doing it
    lease_until  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX promotions_pending ON promotions (state, lease_until);
CREATE INDEX promotions_env ON promotions (environment, created_at);

-- Testers' verdicts, each for one exact package tree.
CREATE TABLE signoffs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rfc_id      INTEGER NOT NULL REFERENCES rfcs (id),
    environment TEXT NOT NULL,
    tester      TEXT NOT NULL,
    tree        TEXT NOT NULL,
    verdict     TEXT NOT NULL,               -- approve, reject
    comment     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX signoffs_lookup ON signoffs (rfc_id, environment, tree, tester, id);

-- `dtap drift ack`: the head that was acknowledged for an environment.
CREATE TABLE drift_acks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    commit_id   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX drift_acks_env ON drift_acks (environment, id);
