-- Every commit dtap makes, recorded before the branch moves to it. A commit
-- is dtap's only if it is here: trailers can be typed by hand, so they prove
-- nothing about who made a commit (drift detection relies on this).
CREATE TABLE dtap_commits (
    commit_id TEXT PRIMARY KEY NOT NULL,
    action    TEXT NOT NULL,
    at        TEXT NOT NULL
);
