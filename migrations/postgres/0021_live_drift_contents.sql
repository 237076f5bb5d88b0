-- What the CRM held at each changed path of a live drift finding (path →
-- blob id, JSON), so a promotion can tell whether it would undo that change
-- (DESIGN §15: acknowledging never licenses overwriting).
ALTER TABLE live_drift ADD COLUMN live_ids TEXT NOT NULL DEFAULT '{}';
