//! The raw insert rate the filing benchmarks compare HTTP filing with: the
//! rows one filing writes (case, photo link, audit entry, idempotency
//! record), with the store's own SQL, 100 filings per transaction, at the
//! connection's `synchronous=FULL`.

use std::time::Instant;

use gridsafe::store::audit::NewEntry;
use gridsafe::store::cases::CaseRow;

/// Where the raw filings go and who files them.
pub struct Spot {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// The village grid of the point.
    pub grid: String,
    /// The filer's person id.
    pub reporter: i64,
    /// A stored photo's id.
    pub photo: String,
}

/// The photo every benchmark filing carries: a small PNG prepared as an upload is.
pub fn photo() -> gridsafe::service::media::Photo {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([7, (x * 3) as u8, (y * 5) as u8]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    gridsafe::service::media::prepare(&png).expect("photo")
}

/// A point inside a village of a filled database, and the village: where a
/// safety case was filed before.
pub fn spot(conn: &rusqlite::Connection) -> (f64, f64, String) {
    conn.query_row("SELECT lon, lat, grid_code FROM cases WHERE kind = 'safety' LIMIT 1", [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .expect("a point")
}

/// Inserts `total` filings at `at`; returns filings per second.
pub fn file(conn: &mut rusqlite::Connection, total: usize, at: &Spot) -> f64 {
    let started = Instant::now();
    // Keys unique per call: a second run on the same database files anew.
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    for batch in 0..total.div_ceil(100) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).expect("begin");
        for n in 0..100 {
            let number = gridsafe::store::cases::next_number(&tx, "TF", 2026).expect("number");
            let row = CaseRow {
                id: 0,
                number,
                kind: "safety".into(),
                category: "S-F10".into(),
                grade: "general".into(),
                criterion: None,
                title: "配电箱无防护罩".into(),
                description: "车间东侧配电箱门缺失，带电部位外露".into(),
                lon: at.lon,
                lat: at.lat,
                grid_code: at.grid.clone(),
                enterprise_id: None,
                reach_code: None,
                reporter_id: at.reporter,
                status: "reported".into(),
                responsible: None,
                measures: None,
                deadline: None,
                plan: None,
                transferred_to: None,
                supervised: false,
                rework_count: 0,
                extension_count: 0,
                fix_description: None,
                reported_at: "2026-11-28T10:00:00+08:00".into(),
                closed_at: None,
                version: 1,
                police_referred: false,
                police_outcome: None,
            };
            let id = gridsafe::store::cases::insert(&tx, &row).expect("case");
            let number = row.number.clone();
            gridsafe::store::cases::add_photos(&tx, id, "report", std::slice::from_ref(&at.photo)).expect("photo");
            let entry = NewEntry {
                case_id: Some(id),
                actor_id: at.reporter,
                at: row.reported_at.clone(),
                action: "report".into(),
                to: Some("reported".into()),
                comment: row.title.clone(),
                media: vec![at.photo.clone()],
                ..NewEntry::default()
            };
            gridsafe::store::audit::append(&tx, entry).expect("audit");
            let key = format!("raw-{run}-{batch}-{n}");
            gridsafe::store::cases::remember(&tx, at.reporter, &key, "hash", 201, &number, "now").expect("idempotency");
        }
        tx.commit().expect("commit");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// The last case id and audit entry of a database: what [`restore`] goes back to.
pub fn heads(conn: &rusqlite::Connection) -> (i64, i64) {
    conn.query_row(
        "SELECT coalesce((SELECT max(id) FROM cases), 0), coalesce((SELECT max(seq) FROM audit_log), 0)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("the heads")
}

/// Takes the cases this run filed out of the fixture again, with their
/// audit entries (the last ones of the chain, so what stays still verifies):
/// the next run measures the same town, not one swollen by earlier runs.
/// Only a benchmark does this; the audit log's guard is put back at once.
pub fn restore(conn: &rusqlite::Connection, (cases, seq): (i64, i64)) {
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = OFF;
         BEGIN;
         DROP TRIGGER audit_log_no_delete;
         DELETE FROM audit_log WHERE seq > {seq};
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         DELETE FROM case_photos WHERE case_id > {cases};
         DELETE FROM idempotency WHERE key LIKE 'scale-%' OR key LIKE 'raw-%' OR key LIKE 'bench-%';
         DELETE FROM cases WHERE id > {cases};
         UPDATE case_counters SET last = coalesce((SELECT max(CAST(substr(number, 9) AS INTEGER)) FROM cases
             WHERE substr(number, 4, 4) = CAST(case_counters.year AS TEXT)), 0);
         COMMIT;
         PRAGMA foreign_keys = ON;
         PRAGMA wal_checkpoint(TRUNCATE);"
    ))
    .expect("the fixture restored");
}
