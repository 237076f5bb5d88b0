-- What each promotion or rollback intent moves, one typed row per package
-- (it was a JSON list in promotions.packages, scanned 500 intents at a time
-- to find when a tree arrived), and the RFC states a rollback returns.
CREATE TABLE intent_packages (
    intent_id    TEXT NOT NULL REFERENCES promotions (id),
    position     INTEGER NOT NULL,
    package      TEXT NOT NULL,
    version      TEXT,                  -- arriving (a rollback: restored)
    from_version TEXT,                  -- replaced (a rollback: withdrawn)
    tree         TEXT,                  -- NULL: a rollback removes the package
    rfcs         TEXT NOT NULL DEFAULT '',  -- RFC ids, comma-separated
    PRIMARY KEY (intent_id, position)
);
CREATE INDEX intent_packages_arrival ON intent_packages (package, tree);

CREATE TABLE intent_returns (
    intent_id  TEXT NOT NULL REFERENCES promotions (id),
    position   INTEGER NOT NULL,
    rfc        TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    PRIMARY KEY (intent_id, position)
);

INSERT INTO intent_packages (intent_id, position, package, version, from_version, tree, rfcs)
SELECT p.id, CAST(j.key AS INTEGER), json_extract(j.value, '$.package'), json_extract(j.value, '$.version'),
       COALESCE(json_extract(j.value, '$.from_version'), json_extract(j.value, '$.withdrawn')),
       json_extract(j.value, '$.tree'),
       COALESCE((SELECT group_concat(r.value, ', ') FROM json_each(j.value, '$.rfcs') r), '')
FROM promotions p, json_each(p.packages) j
WHERE json_valid(p.packages) AND json_type(p.packages) = 'array' AND json_extract(j.value, '$.package') IS NOT NULL;

INSERT INTO intent_returns (intent_id, position, rfc, from_state, to_state)
SELECT p.id, CAST(r.key AS INTEGER), json_extract(r.value, '$.rfc'), json_extract(r.value, '$.from'), json_extract(r.value, '$.to')
FROM promotions p, json_each(p.packages) j, json_each(j.value, '$.returns') r
WHERE p.kind = 'rollback' AND json_valid(p.packages) AND json_type(p.packages) = 'array' AND CAST(j.key AS INTEGER) = 0;
