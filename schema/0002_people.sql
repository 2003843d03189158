-- 0002: people, sessions, assignments, enterprises (SPEC §3, §4, §7). Append-only.

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    phone         TEXT,
    password_hash TEXT NOT NULL,
    demo          INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
) STRICT;

-- Only the SHA-256 of a session token is stored: a stolen database file opens no session.
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id),
    created_at   INTEGER NOT NULL, -- unix seconds
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE enterprises (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    uscc           TEXT UNIQUE,          -- normalised; NULL for premises without one
    uscc_override  TEXT,                 -- admin's note when a checksum failure was accepted
    address        TEXT NOT NULL,
    lon            REAL NOT NULL,
    lat            REAL NOT NULL,
    grid_code      TEXT NOT NULL REFERENCES grids (code),
    industry       TEXT NOT NULL,
    above_scale    INTEGER NOT NULL CHECK (above_scale IN (0, 1)),
    key            INTEGER NOT NULL CHECK (key IN (0, 1)),
    contact_name   TEXT,
    contact_phone  TEXT,
    governance     TEXT NOT NULL DEFAULT 'normal'
                   CHECK (governance IN ('normal', 'listed', 'closed', 'relocated', 'upgraded')),
    closed_on      TEXT,                 -- date closed down (关停取缔)
    reinspect_days INTEGER NOT NULL DEFAULT 90,
    last_reinspected_on TEXT,
    demo           INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE INDEX enterprises_grid ON enterprises (grid_code);

-- Every governance change, with who and why.
CREATE TABLE governance_events (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    from_status   TEXT NOT NULL,
    to_status     TEXT NOT NULL,
    note          TEXT NOT NULL,
    by_person     INTEGER NOT NULL REFERENCES people (id),
    at            TEXT NOT NULL
) STRICT;

-- The 两断三清 checklist of a closure: one row per item, each with its photo.
CREATE TABLE closure_checklist (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    item          TEXT NOT NULL CHECK (item IN
                  ('water_cut', 'power_cut', 'materials_cleared', 'products_cleared', 'equipment_cleared')),
    media_id      TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, item)
) STRICT;

CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    role        TEXT NOT NULL CHECK (role IN ('inspector', 'grid_leader', 'town_expert', 'enterprise_expert',
                                              'river_chief', 'river_police', 'cadre', 'admin')),
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

CREATE INDEX assignments_person ON assignments (person_id);

CREATE TABLE assignment_scopes (
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    kind          TEXT NOT NULL CHECK (kind IN ('town', 'grid', 'enterprise', 'river', 'reach')),
    code          TEXT NOT NULL,
    PRIMARY KEY (assignment_id, kind, code)
) STRICT;

CREATE INDEX assignment_scopes_code ON assignment_scopes (kind, code);
