-- Live drift (DESIGN §14, §15): per environment and package, the latest
-- comparison of the CRM's own configuration (its `export:` steps) with the
-- environment's folder in git. `fingerprint` names the differences with
-- their content ('' when there are none); an acknowledgement and a mail
-- hold for the fingerprint they were given for, so a new drift counts anew.
CREATE TABLE live_drift (
    environment              TEXT NOT NULL,
    package                  TEXT NOT NULL,
    fingerprint              TEXT NOT NULL,
    changed                  TEXT NOT NULL,  -- JSON array of paths in the package
    added                    TEXT NOT NULL,
    missing                  TEXT NOT NULL,
    checked_at               TEXT NOT NULL,
    acknowledged_fingerprint TEXT,
    acknowledged_by          TEXT,
    acknowledged_at          TEXT,
    ack_reason               TEXT,
    notified_fingerprint     TEXT,
    PRIMARY KEY (environment, package)
);
