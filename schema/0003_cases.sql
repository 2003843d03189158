-- 0003: cases, photos, the audit chain, idempotency (SPEC §5, §10). Append-only.

-- The two-level category taxonomy: editable data, seeded here.
CREATE TABLE categories (
    code        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('safety', 'environment', 'river')),
    parent_code TEXT REFERENCES categories (code),
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
) STRICT;

INSERT INTO categories (code, kind, parent_code, name, position) VALUES
    ('S-B', 'safety', NULL, '基础管理类', 1),
    ('S-B01', 'safety', 'S-B', '资质证照', 2),
    ('S-B02', 'safety', 'S-B', '安全生产管理机构及人员', 3),
    ('S-B03', 'safety', 'S-B', '安全规章制度', 4),
    ('S-B04', 'safety', 'S-B', '安全培训教育', 5),
    ('S-B05', 'safety', 'S-B', '安全投入', 6),
    ('S-B06', 'safety', 'S-B', '相关方管理', 7),
    ('S-B07', 'safety', 'S-B', '重大危险源管理', 8),
    ('S-B08', 'safety', 'S-B', '个体防护装备管理', 9),
    ('S-B09', 'safety', 'S-B', '职业健康管理', 10),
    ('S-B10', 'safety', 'S-B', '应急管理', 11),
    ('S-B11', 'safety', 'S-B', '隐患排查治理', 12),
    ('S-B12', 'safety', 'S-B', '事故管理', 13),
    ('S-F', 'safety', NULL, '现场管理类', 14),
    ('S-F01', 'safety', 'S-F', '作业场所', 15),
    ('S-F02', 'safety', 'S-F', '设备设施', 16),
    ('S-F03', 'safety', 'S-F', '防护、保险、信号等装置装备', 17),
    ('S-F04', 'safety', 'S-F', '原辅物料与产品', 18),
    ('S-F05', 'safety', 'S-F', '职业病危害', 19),
    ('S-F06', 'safety', 'S-F', '相关方作业', 20),
    ('S-F07', 'safety', 'S-F', '安全技能', 21),
    ('S-F08', 'safety', 'S-F', '个体防护', 22),
    ('S-F09', 'safety', 'S-F', '消防安全', 23),
    ('S-F10', 'safety', 'S-F', '用电安全', 24),
    ('S-F11', 'safety', 'S-F', '特种设备', 25),
    ('S-F12', 'safety', 'S-F', '危险化学品', 26),
    ('E-W', 'environment', NULL, '水污染', 27),
    ('E-W01', 'environment', 'E-W', '工业废水直排', 28),
    ('E-W02', 'environment', 'E-W', '生活污水乱排', 29),
    ('E-W03', 'environment', 'E-W', '污水处理设施不正常运行', 30),
    ('E-A', 'environment', NULL, '大气污染', 31),
    ('E-A01', 'environment', 'E-A', '扬尘', 32),
    ('E-A02', 'environment', 'E-A', '废气无组织排放', 33),
    ('E-A03', 'environment', 'E-A', '秸秆露天焚烧', 34),
    ('E-S', 'environment', NULL, '固体废物', 35),
    ('E-S01', 'environment', 'E-S', '一般固废乱堆乱放', 36),
    ('E-S02', 'environment', 'E-S', '危险废物贮存处置不规范', 37),
    ('E-N', 'environment', NULL, '噪声', 38),
    ('E-N01', 'environment', 'E-N', '噪声扰民', 39),
    ('E-X', 'environment', NULL, '小散乱污', 40),
    ('E-X01', 'environment', 'E-X', '无证无照小作坊', 41),
    ('E-X02', 'environment', 'E-X', '污染治理设施缺失', 42),
    ('R-P', 'river', NULL, '巡河问题', 43),
    ('R-P01', 'river', 'R-P', '水体', 44),
    ('R-P02', 'river', 'R-P', '河面', 45),
    ('R-P03', 'river', 'R-P', '河中', 46),
    ('R-P04', 'river', 'R-P', '河岸', 47),
    ('R-P05', 'river', 'R-P', '涉水活动', 48),
    ('R-P06', 'river', 'R-P', '排污口', 49),
    ('R-P07', 'river', 'R-P', '河长公示牌', 50),
    ('R-P08', 'river', 'R-P', '水工建筑物', 51);

-- Photos, stored once per content (id = SHA-256 of the re-encoded, EXIF-free JPEG).
CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    thumbnail    BLOB NOT NULL,
    uploaded_by  INTEGER NOT NULL REFERENCES people (id),
    created_at   TEXT NOT NULL
) STRICT;

-- The last number issued per year: incremented in the filing transaction, so numbers are gap-free.
CREATE TABLE case_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT;

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('safety', 'environment', 'river')),
    category_code   TEXT NOT NULL REFERENCES categories (code),
    grade           TEXT NOT NULL CHECK (grade IN ('general', 'major')),
    criterion       TEXT,              -- the clause a major grade was judged against
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    lon             REAL NOT NULL,
    lat             REAL NOT NULL,
    grid_code       TEXT NOT NULL REFERENCES grids (code),
    enterprise_id   INTEGER REFERENCES enterprises (id),
    reach_code      TEXT,
    reporter_id     INTEGER NOT NULL REFERENCES people (id),
    status          TEXT NOT NULL,
    responsible     TEXT,              -- the responsible party named at dispatch
    measures        TEXT,
    deadline        TEXT,
    plan            TEXT,              -- JSON: the 五落实 treatment plan of a major hazard
    transferred_to  TEXT,              -- the county department (移送)
    supervised      INTEGER NOT NULL DEFAULT 0,
    rework_count    INTEGER NOT NULL DEFAULT 0,
    extension_count INTEGER NOT NULL DEFAULT 0,
    fix_description TEXT,
    reported_at     TEXT NOT NULL,
    closed_at       TEXT,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE INDEX cases_grid_status ON cases (grid_code, status);

CREATE TABLE case_photos (
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    media_id TEXT NOT NULL REFERENCES media (id),
    stage    TEXT NOT NULL CHECK (stage IN ('report', 'fix')),
    PRIMARY KEY (case_id, stage, media_id)
) STRICT;

-- The append-only, hash-chained audit log: hash = SHA-256(prev_hash + this entry's fields).
CREATE TABLE audit_log (
    seq             INTEGER PRIMARY KEY,
    case_id         INTEGER REFERENCES cases (id),
    actor_id        INTEGER NOT NULL,
    at              TEXT NOT NULL,
    action          TEXT NOT NULL,
    from_status     TEXT,
    to_status       TEXT,
    comment         TEXT NOT NULL,
    media           TEXT NOT NULL,     -- JSON array of media ids
    document_sha256 TEXT,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_case ON audit_log (case_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- A retried POST with the same Idempotency-Key gets the first answer back.
CREATE TABLE idempotency (
    person_id      INTEGER NOT NULL REFERENCES people (id),
    key            TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status         INTEGER NOT NULL,
    body           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (person_id, key)
) STRICT;
