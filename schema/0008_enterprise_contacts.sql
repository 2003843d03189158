-- 0008: enterprise contacts (企业联系人), a role over one enterprise that sees
-- its cases and documents and reports their fixes (SPEC §3, §5); and the link
-- printed in documents' QR codes defaults to the server's own address. Append-only.

-- SQLite cannot change a CHECK in place: the assignments table is rebuilt with
-- the new role in its list (ids kept, so assignment_scopes still points right;
-- the migration runs with foreign keys off and checks them before committing).
CREATE TABLE assignments_new (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    role        TEXT NOT NULL CHECK (role IN ('inspector', 'grid_leader', 'town_expert', 'enterprise_expert',
                                              'river_chief', 'river_police', 'cadre', 'admin',
                                              'enterprise_contact')),
    duty        TEXT CHECK (duty IN ('safety', 'environment')),
    level       TEXT CHECK (level IN ('town', 'community', 'village')),
    specialty   TEXT,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    end_reason  TEXT,
    created_at  TEXT NOT NULL,
    CHECK ((role = 'inspector') = (duty IS NOT NULL)),
    CHECK ((role = 'river_chief') = (level IS NOT NULL)),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
) STRICT;

INSERT INTO assignments_new (id, person_id, role, duty, level, specialty, valid_from, valid_to, end_reason, created_at)
    SELECT id, person_id, role, duty, level, specialty, valid_from, valid_to, end_reason, created_at FROM assignments;
DROP TABLE assignments;
ALTER TABLE assignments_new RENAME TO assignments;
CREATE INDEX assignments_person ON assignments (person_id);

-- `public_url` now holds only an address given with `serve --public-url`; the
-- server records its own address as `server_url` at every start. The value
-- 0004 shipped as a placeholder goes, so the server's real address is used.
DELETE FROM settings WHERE key = 'public_url' AND value = 'http://127.0.0.1:8080';

-- The public verification page finds the audit entry a document was issued under by its hash.
CREATE INDEX audit_log_document ON audit_log (document_sha256) WHERE document_sha256 IS NOT NULL;
