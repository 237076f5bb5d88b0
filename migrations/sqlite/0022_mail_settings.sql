-- Who gets which mail, in which language (issue 19): one row per address,
-- members of access.yaml and testers outside it alike. `locale_from` says
-- whether the person chose the language ('choice') or their browser's
-- Accept-Language gave it ('browser'); a choice is never overwritten by a
-- browser. `preference`: 'every' (every event), 'digest' (events once a
-- day), 'needed' (only what needs them).
CREATE TABLE mail_settings (
    email       TEXT PRIMARY KEY NOT NULL,
    locale      TEXT,
    locale_from TEXT NOT NULL DEFAULT 'browser',
    preference  TEXT NOT NULL DEFAULT 'every',
    updated_at  TEXT NOT NULL
);

-- Event mails held for a daily digest: rendered in the recipient's language
-- when the event happened; `sent_at` is set in the transaction that queues
-- the digest mail, so one digest goes out across several instances.
CREATE TABLE mail_digest (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
CREATE INDEX mail_digest_due ON mail_digest (sent_at, email, created_at);
