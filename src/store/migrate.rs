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
    ("0008_enterprise_contacts", include_str!("../../schema/0008_enterprise_contacts.sql")),
    ("0009_list_indexes", include_str!("../../schema/0009_list_indexes.sql")),
    ("0010_day_and_closing_indexes", include_str!("../../schema/0010_day_and_closing_indexes.sql")),
    ("0011_covering_due_index", include_str!("../../schema/0011_covering_due_index.sql")),
    ("0012_enterprise_reinspection_index", include_str!("../../schema/0012_enterprise_reinspection_index.sql")),
    ("0013_audit_verdicts_index", include_str!("../../schema/0013_audit_verdicts_index.sql")),
];

/// Applies the migrations the database has not seen yet, each in its own
/// transaction. Foreign keys are off while they run (SQLite's way to rebuild
/// a table that others reference); one that leaves a reference dangling is
/// rolled back.
pub fn run(conn: &mut Connection) -> Result<()> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(Error::Internal(anyhow::anyhow!(
            "the database has schema version {applied}, newer than this program's {}; upgrade gridsafe",
            MIGRATIONS.len()
        )));
    }
    if applied == MIGRATIONS.len() {
        return Ok(());
    }
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let result = apply(conn, applied);
    conn.pragma_update(None, "foreign_keys", enforced)?;
    result
}

fn apply(conn: &mut Connection, applied: usize) -> Result<()> {
    for (version, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let dangling = |tx: &rusqlite::Transaction<'_>| -> Result<i64> {
            Ok(tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?)
        };
        // An index cannot leave a reference dangling; the check reads every
        // row of every table (minutes on ten years of data), so such a
        // migration skips it.
        let checked = !only_indexes(sql);
        let before = if checked { dangling(&tx)? } else { 0 };
        tx.execute_batch(sql).map_err(|e| Error::Internal(anyhow::anyhow!("migration {name} failed: {e}")))?;
        let after = if checked { dangling(&tx)? } else { 0 };
        if after > before {
            return Err(Error::Internal(anyhow::anyhow!(
                "migration {name} left {} dangling references",
                after - before
            )));
        }
        tx.pragma_update(None, "user_version", i64::try_from(version + 1).unwrap_or(i64::MAX))?;
        tx.commit()?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}

/// Whether a migration only creates or drops indexes (comments aside).
fn only_indexes(sql: &str) -> bool {
    let code: String =
        sql.lines().map(|l| l.split_once("--").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n");
    code.split(';').map(str::trim).filter(|s| !s.is_empty()).all(|statement| {
        let words: Vec<String> = statement.split_whitespace().take(3).map(str::to_ascii_uppercase).collect();
        match words.as_slice() {
            [create, index, ..] if create == "CREATE" && index == "INDEX" => true,
            [create, unique, index] if create == "CREATE" && unique == "UNIQUE" && index == "INDEX" => true,
            [drop, index, ..] => drop == "DROP" && index == "INDEX",
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_of_indexes_alone_is_told_from_one_that_moves_rows() {
        assert!(only_indexes(include_str!("../../schema/0013_audit_verdicts_index.sql")));
        assert!(only_indexes(include_str!("../../schema/0012_enterprise_reinspection_index.sql")));
        assert!(only_indexes(include_str!("../../schema/0011_covering_due_index.sql")));
        assert!(only_indexes("-- a; comment\nCREATE UNIQUE INDEX a ON t (x);\ncreate index b on t (y);"));
        assert!(!only_indexes(include_str!("../../schema/0003_cases.sql")));
        assert!(!only_indexes("CREATE INDEX a ON t (x); UPDATE t SET x = 1;"));
        assert!(!only_indexes("CREATE TABLE t (x); CREATE INDEX a ON t (x);"));
    }

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
    fn the_contact_role_migration_keeps_every_assignment_and_its_scope() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open_connection(&dir.path().join("m.db")).unwrap();
        for (_, sql) in &MIGRATIONS[..7] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 7).unwrap();
        conn.execute_batch(
            "INSERT INTO people (id, username, name, password_hash, created_at) VALUES (1, 'li.si', '李四', 'x', 'now');
             INSERT INTO assignments (id, person_id, role, duty, valid_from, created_at)
                 VALUES (5, 1, 'inspector', 'safety', '2026-01-01', 'now');
             INSERT INTO assignment_scopes (assignment_id, kind, code) VALUES (5, 'grid', 'TF0101');",
        )
        .unwrap();
        let contact = "INSERT INTO assignments (person_id, role, valid_from, created_at)
                       VALUES (1, 'enterprise_contact', '2026-01-01', 'now')";
        assert!(conn.execute(contact, []).is_err(), "version 7 refuses the role");
        run(&mut conn).unwrap();
        let kept = crate::store::assignments::get(&conn, 5).unwrap().unwrap();
        assert_eq!(
            (kept.role, kept.scope),
            (crate::domain::people::Role::Inspector, vec![crate::domain::people::ScopeItem::Grid("TF0101".into())])
        );
        conn.execute(contact, []).unwrap();
        let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert!(enforced, "foreign keys are back on");
        let dangling =
            conn.execute("INSERT INTO assignment_scopes (assignment_id, kind, code) VALUES (99, 'grid', 'x')", []);
        assert!(dangling.is_err(), "the rebuilt table is still referenced");
        assert_eq!(crate::store::documents::setting(&conn, "public_url").unwrap(), None);
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open_connection(&dir.path().join("m.db")).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        assert!(run(&mut conn).is_err());
    }
}
