-- 0005: river patrol logs (SPEC §6) and the river police trial on cases. Append-only.

-- Anti-fake rules and frequency targets per chief level: settings, seeded with
-- the Shandong defaults (30 min, 2 km, 500 m buffer, 30 km/h).
CREATE TABLE patrol_rules (
    level                TEXT PRIMARY KEY CHECK (level IN ('town', 'community', 'village')),
    min_minutes          REAL NOT NULL,
    min_distance_m       REAL NOT NULL,
    min_interval_minutes REAL NOT NULL,
    buffer_m             REAL NOT NULL,
    max_speed_kmh        REAL NOT NULL,
    per_month            INTEGER NOT NULL
) STRICT;

INSERT INTO patrol_rules VALUES
    ('town', 30, 2000, 0, 500, 30, 3),
    ('community', 30, 2000, 0, 500, 30, 2),
    ('village', 30, 2000, 0, 500, 30, 4);

-- The last patrol number issued per year (XH-2026-000001), gap-free.
CREATE TABLE patrol_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT;

-- A patrol log as filed, with what was computed from its track. An invalid
-- log is kept with its reasons; it does not count.
CREATE TABLE patrols (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    chief_id        INTEGER NOT NULL REFERENCES people (id),
    level           TEXT NOT NULL CHECK (level IN ('town', 'community', 'village')),
    river_code      TEXT NOT NULL,
    started_s       INTEGER NOT NULL,
    ended_s         INTEGER NOT NULL,
    month           TEXT NOT NULL,             -- YYYY-MM (China time) of the start
    track           TEXT NOT NULL,             -- GeoJSON LineString
    times           TEXT,                      -- JSON array of Unix seconds, one per point
    points          INTEGER NOT NULL,
    distance_m      REAL NOT NULL,
    minutes         REAL NOT NULL,
    max_speed_kmh   REAL NOT NULL,
    off_river_share REAL NOT NULL,
    reaches         TEXT NOT NULL,             -- JSON [{code, share}]
    checklist       TEXT NOT NULL,             -- JSON [{type, status, note}]
    notes           TEXT NOT NULL,
    photos          TEXT NOT NULL,             -- JSON [media id]
    valid           INTEGER NOT NULL,
    reasons         TEXT NOT NULL,             -- JSON [{zh, en}]
    review_status   TEXT NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'approved', 'returned')),
    reviewed_by     INTEGER REFERENCES people (id),
    reviewed_at     TEXT,
    review_comment  TEXT,
    filed_at        TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE INDEX patrols_by_chief ON patrols (chief_id, started_s);
CREATE INDEX patrols_by_river_month ON patrols (river_code, month);

-- The river cases a patrol's findings opened.
CREATE TABLE patrol_cases (
    patrol_id INTEGER NOT NULL REFERENCES patrols (id),
    case_id   INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (patrol_id, case_id)
) STRICT, WITHOUT ROWID;

-- A retried patrol filing with the same Idempotency-Key gets the first answer back.
CREATE TABLE patrol_idempotency (
    person_id INTEGER NOT NULL,
    key       TEXT NOT NULL,
    patrol_id INTEGER NOT NULL REFERENCES patrols (id),
    PRIMARY KEY (person_id, key)
) STRICT, WITHOUT ROWID;

-- River police trial (河道警长): a river case referred as a law-enforcement
-- lead (涉河违法线索) and the outcome the police chief records.
ALTER TABLE cases ADD COLUMN police_referred INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN police_outcome TEXT;
