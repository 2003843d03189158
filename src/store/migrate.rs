//! Schema migrations: `schema/NNNN_name.sql`, embedded, applied in order and
//! tracked in `PRAGMA user_version`. A landed migration is never edited.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Every migration, in order. `user_version` = how many have been applied.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../schema/0001_init.sql")),
    ("0002_people", include_str!("../../schema/0002_people.sql")),
    ("0003_cases", include_str!("../../schema/0003_cases.sql")),
    ("0004_documents", include_str!("../../schema/0004_documents.sql")),
    ("0005_patrols", include_str!("../../schema/0005_patrols.sql")),
    ("0006_patrol_request_hash", include_str!("../../schema/0006_patrol_request_hash.sql")),
    ("0007_patrol_repeats", include_str!("../../schema/0007_patrol_repeats.sql")),
];

/// Applies the migrations the database has not seen yet, each in its own transaction.
pub fn run(conn: &mut Connection) -> Result<()> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(Error::Internal(anyhow::anyhow!(
            "the database has schema version {applied}, newer than this program's {}; upgrade gridsafe",
            MIGRATIONS.len()
        )));
    }
    for (version, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql).map_err(|e| Error::Internal(anyhow::anyhow!("migration {name} failed: {e}")))?;
        tx.pragma_update(None, "user_version", i64::try_from(version + 1).unwrap_or(i64::MAX))?;
        tx.commit()?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_file_is_listed_once_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schema");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| std::path::Path::new(n).extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|(n, _)| format!("{n}.sql")).collect();
        assert_eq!(files, listed);
        for (i, name) in files.iter().enumerate() {
            assert!(name.starts_with(&format!("{:04}_", i + 1)), "{name} is out of sequence");
        }
    }

    #[test]
    fn migrating_twice_is_a_no_op_and_sets_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open_connection(&dir.path().join("m.db")).unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(usize::try_from(version).unwrap(), MIGRATIONS.len());
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open_connection(&dir.path().join("m.db")).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        assert!(run(&mut conn).is_err());
    }
}
