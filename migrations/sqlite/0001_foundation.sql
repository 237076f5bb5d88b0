-- Foundation: instance metadata and the append-only audit trail.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- One row per state change, chained: hash = SHA-256(prev_hash || canonical form).
CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,            -- RFC 3339, UTC
    actor     TEXT NOT NULL,            -- normalised e-mail, or "system"
    action    TEXT NOT NULL,            -- e.g. workspace.init, rfc.submit, promote
    object    TEXT NOT NULL,            -- e.g. RFC-12, crm-core@acceptance
    outcome   TEXT NOT NULL,            -- ok, refused, failed
    origin    TEXT NOT NULL,            -- web, api, cli
    detail    TEXT NOT NULL DEFAULT '{}', -- JSON
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
