-- An index of the config repo kept in step incrementally (benchmark P3).
CREATE TABLE repo_index_head (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    commit_id TEXT NOT NULL
);

CREATE TABLE repo_index_packages (
    env_path  TEXT NOT NULL,
    package   TEXT NOT NULL,
    tree      TEXT NOT NULL,
    version   TEXT,
    rfcs      TEXT NOT NULL DEFAULT '[]',
    problem   TEXT,
    commit_id TEXT NOT NULL,
    time      TEXT NOT NULL,
    author    TEXT NOT NULL,
    "by"      TEXT NOT NULL,
    summary   TEXT NOT NULL,
    PRIMARY KEY (env_path, package)
);

CREATE TABLE repo_index_drift (
    env_path  TEXT NOT NULL,
    position  BIGINT NOT NULL,
    commit_id TEXT NOT NULL,
    time      TEXT NOT NULL,
    author    TEXT NOT NULL,
    summary   TEXT NOT NULL,
    PRIMARY KEY (env_path, position)
);
