-- 0001: the town's geography. Append-only: never edit a landed migration.

-- The grid tree: town → communities → villages. Geometry is GeoJSON geometry text (WGS84).
CREATE TABLE grids (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('town', 'community', 'village')),
    parent_code TEXT REFERENCES grids (code),
    stat_code   TEXT,
    geometry    TEXT NOT NULL,
    CHECK ((level = 'town') = (parent_code IS NULL))
) STRICT;

CREATE INDEX grids_parent ON grids (parent_code);

-- Rivers under the river-chief system. Geometry is a GeoJSON (Multi)LineString.
CREATE TABLE rivers (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    geometry TEXT NOT NULL
) STRICT;

-- Reaches: derived from rivers × village grids, recomputed whenever either changes.
CREATE TABLE reaches (
    code       TEXT PRIMARY KEY,
    river_code TEXT NOT NULL REFERENCES rivers (code),
    grid_code  TEXT NOT NULL REFERENCES grids (code),
    seq        INTEGER NOT NULL, -- order along the river, source to mouth
    length_m   REAL NOT NULL CHECK (length_m > 0),
    geometry   TEXT NOT NULL
) STRICT;

CREATE INDEX reaches_river ON reaches (river_code);

-- Every accepted import of geography, for the record (who changed the map, from which file).
CREATE TABLE map_imports (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('grids', 'rivers')),
    source        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    feature_count INTEGER NOT NULL,
    warnings      TEXT NOT NULL,
    imported_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
