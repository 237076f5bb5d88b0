-- An index of the config repo kept in step incrementally, so that status and
-- drift need no history walk (benchmark P3).
CREATE TABLE repo_index_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    commit_id TEXT NOT NULL
);

-- Per environment folder and package: the current tree, its manifest facts,
-- and the commit that last changed it.
CREATE TABLE repo_index_packages (
    env_path  TEXT NOT NULL,
    package   TEXT NOT NULL,
    tree      TEXT NOT NULL,
    version   TEXT,
    rfcs      TEXT NOT NULL DEFAULT '[]',   -- JSON array
    problem   TEXT,
    commit_id TEXT NOT NULL,
    time      TEXT NOT NULL,
    author    TEXT NOT NULL,
    by        TEXT NOT NULL,               -- Dtap-Promoted-By, or the author of a hand commit
    summary   TEXT NOT NULL,
    PRIMARY KEY (env_path, package)
);

-- Hand-made commits per environment folder since its last dtap commit or acknowledgement.
CREATE TABLE repo_index_drift (
    env_path  TEXT NOT NULL,
    position  INTEGER NOT NULL,
    commit_id TEXT NOT NULL,
    time      TEXT NOT NULL,
    author    TEXT NOT NULL,
    summary   TEXT NOT NULL,
    PRIMARY KEY (env_path, position)
);
