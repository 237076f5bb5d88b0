-- What each promotion or rollback intent moves, one typed row per package
-- (it was a JSON list in promotions.packages, scanned 500 intents at a time
-- to find when a tree arrived), and the RFC states a rollback returns.
CREATE TABLE intent_packages (
    intent_id    TEXT NOT NULL REFERENCES promotions (id),
    position     BIGINT NOT NULL,
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
    position   BIGINT NOT NULL,
    rfc        TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    PRIMARY KEY (intent_id, position)
);

INSERT INTO intent_packages (intent_id, position, package, version, from_version, tree, rfcs)
SELECT p.id, j.ord - 1, j.value->>'package', j.value->>'version',
       COALESCE(j.value->>'from_version', j.value->>'withdrawn'),
       j.value->>'tree',
       COALESCE((SELECT string_agg(r.value, ', ') FROM jsonb_array_elements_text(
           CASE WHEN jsonb_typeof(j.value->'rfcs') = 'array' THEN j.value->'rfcs' ELSE '[]'::jsonb END) r), '')
FROM promotions p, jsonb_array_elements(p.packages::jsonb) WITH ORDINALITY j(value, ord)
WHERE p.packages LIKE '[%' AND j.value->>'package' IS NOT NULL;

INSERT INTO intent_returns (intent_id, position, rfc, from_state, to_state)
SELECT p.id, r.ord - 1, r.value->>'rfc', r.value->>'from', r.value->>'to'
FROM promotions p, jsonb_array_elements(p.packages::jsonb) WITH ORDINALITY j(value, ord),
     jsonb_array_elements(CASE WHEN jsonb_typeof(j.value->'returns') = 'array' THEN j.value->'returns' ELSE '[]'::jsonb END)
         WITH ORDINALITY r(value, ord)
WHERE p.kind = 'rollback' AND p.packages LIKE '[%' AND j.ord = 1;
