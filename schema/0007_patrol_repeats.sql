-- 0007: a patrol log must agree with its own fixes and must not repeat a track
-- already filed (SPEC §6 anti-fake rules). Append-only.

-- Settings per level beside the other rules: how far (minutes) the declared
-- start and end may lie from the first and last fix's time, and how close
-- (metres) a track's fixes must lie to an earlier track to be a replay of it.
ALTER TABLE patrol_rules ADD COLUMN clock_tolerance_minutes REAL NOT NULL DEFAULT 5;
ALTER TABLE patrol_rules ADD COLUMN replay_m REAL NOT NULL DEFAULT 2;

-- SHA-256 of the track's coordinates rounded to 1e-6 degree, times left out:
-- the same fixes filed again, whatever timestamps they now carry. Logs filed
-- before this migration have none; their cells below still find them.
ALTER TABLE patrols ADD COLUMN track_sha256 TEXT;
CREATE INDEX patrols_by_track_sha256 ON patrols (track_sha256) WHERE track_sha256 IS NOT NULL;

-- The cells of a 0.002-degree grid (about 180 m by 220 m here) each track
-- passes through: the index that finds the earlier logs a new track may
-- repeat without reading every log. cell = x * 1000000 + y, where
-- x = floor((lon + 180) / 0.002) and y = floor((lat + 90) / 0.002).
CREATE TABLE patrol_cells (
    cell      INTEGER NOT NULL,
    patrol_id INTEGER NOT NULL REFERENCES patrols (id),
    PRIMARY KEY (cell, patrol_id)
) STRICT, WITHOUT ROWID;

-- The cells of the logs already filed, from their stored tracks (both terms
-- are positive, so the cast truncates as floor does).
INSERT OR IGNORE INTO patrol_cells (cell, patrol_id)
SELECT CAST((json_extract(c.value, '$[0]') + 180.0) / 0.002 AS INTEGER) * 1000000
       + CAST((json_extract(c.value, '$[1]') + 90.0) / 0.002 AS INTEGER),
       p.id
FROM patrols p, json_each(p.track, '$.coordinates') c;
