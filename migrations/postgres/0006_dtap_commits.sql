-- Every commit dtap makes, recorded before the branch moves to it.
CREATE TABLE dtap_commits (
    commit_id TEXT PRIMARY KEY NOT NULL,
    action    TEXT NOT NULL,
    at        TEXT NOT NULL
);
