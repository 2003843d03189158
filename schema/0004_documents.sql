-- 0004: issued documents (SPEC §8) and the settings they print. Append-only.

-- Settings an office edits rarely: the issuing body, the public address in QR codes.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

INSERT INTO settings (key, value) VALUES
    ('issuer', '青州市谭坊镇人民政府'),
    ('notice_prefix', '谭坊整改'),
    ('review_prefix', '谭坊复查'),
    ('public_url', 'http://127.0.0.1:8080');

-- The last sequence issued per document kind and year: numbers are gap-free.
CREATE TABLE document_counters (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
) STRICT;

-- An issued document: its bytes exactly as first served, never changed.
-- A correction is a new row with a new number that names the one it supersedes.
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,      -- N-2026-0001 (notice), R-2026-0001 (review)
    number      TEXT NOT NULL UNIQUE,      -- 谭坊整改〔2026〕0001号
    kind        TEXT NOT NULL CHECK (kind IN ('notice', 'review')),
    issued_at   TEXT NOT NULL,
    issued_by   INTEGER NOT NULL REFERENCES people (id),
    sha256      TEXT NOT NULL,
    pages       INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    supersedes  INTEGER REFERENCES documents (id)
) STRICT;

CREATE TABLE document_cases (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (case_id, document_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'an issued document is immutable'); END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'an issued document is immutable'); END;
CREATE TRIGGER document_cases_no_delete BEFORE DELETE ON document_cases
BEGIN SELECT RAISE(ABORT, 'an issued document is immutable'); END;
