-- Attachments on RFCs, their comments and sign-off verdicts (issue 19,
-- DESIGN §15): the file's facts here, its bytes in chunks of at most
-- 256 KiB, so every instance sees them and memory stays bounded while
-- streaming. A row is `uploading` while its chunks arrive and `stored`
-- once the whole file passed the checks; only stored ones are shown.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    rfc_id       INTEGER NOT NULL REFERENCES rfcs (id),
    comment_id   INTEGER REFERENCES rfc_comments (id),
    signoff_id   INTEGER REFERENCES signoffs (id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,              -- as detected from the content, never as sent
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'uploading'  -- uploading, stored
);
CREATE INDEX attachments_rfc ON attachments (rfc_id, state, id);
CREATE INDEX attachments_state ON attachments (state, created_at);

CREATE TABLE attachment_chunks (
    attachment_id INTEGER NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    bytes         BLOB NOT NULL CHECK (length(bytes) <= 262144),
    PRIMARY KEY (attachment_id, seq)
);
