-- Deployments into the CRM (DESIGN §14): one per package of each promotion,
-- rollback or retirement commit into an environment with `deploy:`, with
-- each step's result. A deployment runs once across instances: whoever runs
-- it holds a lease and renews it; one whose lease expired is `interrupted`.
CREATE TABLE deployments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    environment      TEXT NOT NULL,
    package          TEXT NOT NULL,
    version          TEXT,                 -- NULL: the package leaves (retirement)
    tree             TEXT,                 -- NULL: the package leaves
    previous_tree    TEXT,                 -- what it replaces, NULL when new
    commit_id        TEXT NOT NULL,
    action           TEXT NOT NULL,        -- promote, rollback, retire
    intent_id        TEXT NOT NULL,        -- the intent whose commit this deploys
    position         INTEGER NOT NULL,     -- order within its commit
    state            TEXT NOT NULL,        -- queued, running, succeeded, failed, timed_out, interrupted, cancelled
    requested_by     TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    lease_owner      TEXT,
    lease_until      TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    retry_of         INTEGER REFERENCES deployments (id)
);
CREATE INDEX deployments_env ON deployments (environment, package, id);
CREATE INDEX deployments_state ON deployments (state, id);
CREATE INDEX deployments_intent ON deployments (intent_id, position);

CREATE TABLE deployment_steps (
    deployment_id INTEGER NOT NULL REFERENCES deployments (id),
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    state         TEXT NOT NULL,           -- running, succeeded, failed, timed_out, interrupted, cancelled
    exit_code     INTEGER,
    duration_ms   INTEGER,
    output_tail   TEXT NOT NULL DEFAULT '', -- the last 64 KiB of stdout and stderr, secrets as ***
    started_at    TEXT NOT NULL,
    PRIMARY KEY (deployment_id, position)
);
