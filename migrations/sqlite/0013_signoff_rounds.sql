-- Sign-off rounds (DESIGN §13): one per RFC × environment at a time, over
-- the set of package trees that carry the RFC there. Links and verdicts
-- belong to a round; only the current round's approvals count, so an
-- approval given for a set that was withdrawn never counts again.
CREATE TABLE signoff_rounds (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rfc_id      INTEGER NOT NULL REFERENCES rfcs (id),
    environment TEXT NOT NULL,
    trees       TEXT NOT NULL,          -- JSON object {package: tree}, keys sorted, no spaces
    versions    TEXT NOT NULL,          -- JSON object {package: version}
    started_at  TEXT NOT NULL,
    ended_at    TEXT,                   -- NULL: the current round
    end_reason  TEXT                    -- grew, changed, shrank, withdrawn, rejected, migrated
);
CREATE INDEX signoff_rounds_rfc ON signoff_rounds (rfc_id, environment, id);

ALTER TABLE signoff_links ADD COLUMN round_id INTEGER REFERENCES signoff_rounds (id);
ALTER TABLE signoffs ADD COLUMN round_id INTEGER REFERENCES signoff_rounds (id);
CREATE INDEX signoffs_round ON signoffs (round_id, tester, id);
CREATE INDEX signoff_links_round ON signoff_links (round_id);

-- A follow-up RFC names the released one it continues.
ALTER TABLE rfcs ADD COLUMN follows INTEGER REFERENCES rfcs (id);

-- Existing links and verdicts become one-package rounds; per RFC and
-- environment the round of the newest link is current, the others ended.
INSERT INTO signoff_rounds (rfc_id, environment, trees, versions, started_at)
SELECT rfc_id, environment, '{"' || package || '":"' || tree || '"}', '{"' || package || '":"' || version || '"}', MIN(created_at)
FROM signoff_links GROUP BY rfc_id, environment, package, tree, version ORDER BY MIN(created_at);

UPDATE signoff_links SET round_id = (
    SELECT r.id FROM signoff_rounds r
    WHERE r.rfc_id = signoff_links.rfc_id AND r.environment = signoff_links.environment
      AND r.trees = '{"' || signoff_links.package || '":"' || signoff_links.tree || '"}'
      AND r.versions = '{"' || signoff_links.package || '":"' || signoff_links.version || '"}');

UPDATE signoff_rounds SET ended_at = started_at, end_reason = 'migrated'
WHERE id <> (SELECT l.round_id FROM signoff_links l
             WHERE l.rfc_id = signoff_rounds.rfc_id AND l.environment = signoff_rounds.environment
             ORDER BY l.id DESC LIMIT 1);

UPDATE signoffs SET round_id = (SELECT l.round_id FROM signoff_links l WHERE l.id = signoffs.link_id);

-- At most one current round per RFC and environment, from now on.
CREATE UNIQUE INDEX signoff_rounds_current ON signoff_rounds (rfc_id, environment) WHERE ended_at IS NULL;
