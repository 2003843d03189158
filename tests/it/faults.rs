//! Faults a small server meets over the years: a full disk.

use serde_json::json;

use crate::cases::{hazard, photo};
use crate::helpers::TestApp;

/// Cases stored and audit entries.
async fn counts(app: &TestApp) -> (i64, i64) {
    app.app
        .store
        .read(|c| {
            Ok(c.query_row("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM audit_log)", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .await
        .unwrap()
}

/// Caps (or with `None` frees) the writer's database size at its current
/// page count: the writer then meets SQLite's "database or disk is full"
/// exactly as on a full disk.
async fn cap_writer(app: &TestApp, cap: Option<i64>) {
    app.app
        .store
        .write(move |c| {
            let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            c.pragma_update(None, "max_page_count", cap.map_or(i64::from(u32::MAX - 1), |extra| pages + extra))?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_full_disk_answers_503_keeps_nothing_half_written_serves_reads_and_files_again_when_space_returns() {
    let app = TestApp::demo().await;
    let admin = app.login("admin").await;
    let shot = photo(&app, &admin, 7).await;
    let (cases_before, entries_before) = counts(&app).await;

    // Room for a few filings, then none.
    cap_writer(&app, Some(40)).await;
    let (mut filed, mut refused) = (0, None);
    for n in 0..400 {
        let mut body = hazard(&app, std::slice::from_ref(&shot));
        body["title"] = json!(format!("磁盘满时的第 {n} 件"));
        body["description"] = json!("满".repeat(2000));
        let answer = app.json_as("POST", Some(&admin), "/api/v1/cases", &body).await;
        if answer.status == 201 {
            filed += 1;
            continue;
        }
        let error = answer.expect_error(503, "storage_full");
        assert!(error["message"].as_str().unwrap().contains("存储空间已满"), "{error}");
        assert_eq!(answer.headers["retry-after"], "60");
        refused = Some(n);
        break;
    }
    let refused = refused.expect("the capped database never filled up");
    assert!(filed > 0, "not one filing fitted before the disk was full");

    // Nothing of the refused filing was kept: no case, no audit entry, no number used.
    let (cases, entries) = counts(&app).await;
    assert_eq!(cases, cases_before + filed);
    assert!(entries >= entries_before + filed, "{entries} entries");
    let titles = format!("磁盘满时的第 {refused} 件");
    let kept: i64 = app
        .app
        .store
        .read(move |c| Ok(c.query_row("SELECT count(*) FROM cases WHERE title = ?1", [&titles], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(kept, 0);

    // Reads go on while the disk is full.
    let list = app.get_as(&admin, "/api/v1/cases?limit=5").await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len() as i64, cases.min(5), "{list}");
    // A photo cannot be stored either, and says why.
    crate::cases::upload(&app, &admin, &crate::cases::png(8)).await.expect_error(503, "storage_full");

    // Space returns: filing resumes by itself, and its number follows the
    // last one kept (the refused filing used none).
    cap_writer(&app, None).await;
    let body = hazard(&app, std::slice::from_ref(&shot));
    let number = crate::cases::file(&app, &admin, &body).await;
    let (series, sequence) = number.rsplit_once('-').unwrap();
    let (pattern, own) = (format!("{series}-%"), number.clone());
    let previous: String = app
        .app
        .store
        .read(move |c| {
            Ok(c.query_row(
                "SELECT max(number) FROM cases WHERE number LIKE ?1 AND number != ?2",
                [&pattern, &own],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    let previous: i64 = previous.rsplit_once('-').unwrap().1.parse().unwrap();
    assert_eq!(sequence.parse::<i64>().unwrap(), previous + 1, "{number}");
    let chain = app.app.store.read(gridsafe::store::audit::verify).await.unwrap();
    assert!(chain.is_ok(), "{chain:?}");
}
