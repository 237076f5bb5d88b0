-- Web login without stored passwords: single-use links by mail, then a
-- server-side session behind a cookie. Only hashes of secrets are stored.
CREATE TABLE login_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    email        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL            -- absolute end
);
CREATE INDEX sessions_email ON sessions (email);
