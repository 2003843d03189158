//! Property tests of the closed loop through the real service and store:
//! random action sequences by random actors on fresh cases.

use std::collections::BTreeSet;

use gridsafe::accounts::{self, Actor, AssignmentInput};
use gridsafe::cases::{self, ActionInput, CaseInput, Plan};
use gridsafe::domain::access::Scope;
use gridsafe::domain::case::{self as machine, Action};
use gridsafe::spatial::Maps;
use gridsafe::store::enterprises::EnterpriseFields;
use gridsafe::{geography, store};
use proptest::prelude::*;
use rusqlite::Connection;

use crate::helpers::fixture_text;

const NOW: i64 = 1_795_000_000; // 2026-11-18, China time

struct World {
    _dir: tempfile::TempDir,
    conn: Connection,
    maps: Maps,
    actors: Vec<Actor>,
    photo: String,
}

/// The fixture town, one enterprise in T0101, and five people:
/// 0 admin, 1 inspector of T0101, 2 the enterprise's hired expert, 3 a town expert, 4 inspector of T0103.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let conn = store::open_migrated(&dir.path().join("p.db")).unwrap();
    geography::import_grids(&conn, &fixture_text("grids_valid.geojson"), "fixture").unwrap();
    geography::import_rivers(&conn, &fixture_text("rivers_three_squares.geojson"), "fixture").unwrap();
    let maps = geography::load_maps(&conn).unwrap();
    let fields = EnterpriseFields {
        name: "测试厂".into(),
        uscc: None,
        uscc_override: None,
        address: String::new(),
        lon: 118.605,
        lat: 36.705,
        grid_code: "T0101".into(),
        industry: "机械".into(),
        above_scale: true,
        key: true,
        contact_name: None,
        contact_phone: None,
        demo: false,
    };
    store::enterprises::insert(&conn, &fields, "now").unwrap();
    let hash = accounts::hash_password("a-long-password").unwrap();
    let people = [
        ("admin", "admin", vec!["T"], None),
        ("insp", "inspector", vec!["T0101"], Some("safety")),
        ("hired", "enterprise_expert", vec!["1"], None),
        ("town", "town_expert", vec!["T"], None),
        ("other", "inspector", vec!["T0103"], Some("safety")),
    ];
    let mut actors = Vec::new();
    for (username, role, scope, duty) in people {
        let new = store::people::NewPerson {
            username: username.into(),
            name: username.into(),
            phone: None,
            password_hash: hash.clone(),
            demo: false,
        };
        let person = store::people::insert(&conn, &new, "now").unwrap();
        let assignment = AssignmentInput {
            username: username.into(),
            role: role.into(),
            scope: scope.into_iter().map(str::to_owned).collect(),
            duty: duty.map(str::to_owned),
            level: None,
            specialty: None,
            from: Some("2026-01-01".into()),
            to: None,
        };
        let a = accounts::create_assignment(&conn, &maps, &assignment, NOW).unwrap();
        let scope = Scope::resolve(std::slice::from_ref(&a), |code| maps.descendants(code));
        actors.push(Actor { person, assignments: vec![a], scope });
    }
    let photo = gridsafe::media::prepare(&crate::cases::png(1)).unwrap();
    store::media::insert(&conn, &photo, 1, "now").unwrap();
    World { _dir: dir, conn, maps, actors, photo: photo.id }
}

fn payload(action: Action, photo: &str, n: usize) -> ActionInput {
    ActionInput {
        action: action.as_str().into(),
        comment: Some("意见".into()),
        reason: Some("原因".into()),
        responsible: Some("责任单位".into()),
        measures: Some("措施".into()),
        deadline: Some(format!("2099-{:02}-{:02}", 1 + (n / 28) % 12, 1 + n % 28)),
        plan: Some(Plan {
            responsible_person: "甲".into(),
            measures: "乙".into(),
            funds: "丙".into(),
            deadline: "2099-12-31".into(),
            contingency: "丁".into(),
        }),
        photos: vec![photo.to_owned()],
        description: Some("已整改".into()),
        department: Some("县应急管理局".into()),
        outcome: Some("filed".into()),
    }
}

/// The person the rules name for an action in this world.
fn rightful(action: Action, facts: &machine::CaseFacts) -> usize {
    match action {
        Action::Dispatch | Action::Submit => 1,
        Action::Approve | Action::Return => {
            if facts.grade == machine::Grade::General && facts.enterprise.is_some() {
                2
            } else {
                3
            }
        }
        _ => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_loop_honest(
        reporter in prop_oneof![Just(1usize), Just(2usize), Just(0usize)],
        major in any::<bool>(),
        with_enterprise in any::<bool>(),
        // Weighted towards the happy path so that many sequences get as far as sign-off.
        steps in proptest::collection::vec(
            (prop::sample::select(vec![0, 0, 0, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6, 7, 7, 8, 9, 10]), 0usize..9),
            1..50,
        ),
    ) {
        let w = world();
        let input = CaseInput {
            kind: "safety".into(),
            category: "S-F01".into(),
            grade: if major { "major".into() } else { "general".into() },
            criterion: Some("判定标准第一条".into()),
            title: "隐患".into(),
            description: "描述".into(),
            lon: 118.605,
            lat: 36.705,
            // A hired expert files only at the enterprise that hired them.
            enterprise_id: (with_enterprise || reporter == 2).then_some(1),
            photos: vec![w.photo.clone()],
        };
        let filed = cases::file(&w.conn, &w.maps, &w.actors[reporter], &input, NOW).unwrap();
        let reporter_id = w.actors[reporter].person.id;
        let mut accepted = 1; // the report itself
        let mut returns = 0;
        for (n, (a, who)) in steps.into_iter().enumerate() {
            let action = Action::ALL[a];
            let before = store::cases::by_number(&w.conn, &filed.number).unwrap().unwrap();
            let facts = cases::facts(&w.maps, &before);
            // 0..5 is anyone; 5..9 is whoever the rules name for this action, so sequences progress.
            let who = if who < 5 { who } else { rightful(action, &facts) };
            let actor = &w.actors[who];
            let verifier = machine::is_verifier(machine::Actor { person: actor.person.id, scope: &actor.scope }, &facts);
            let result = cases::act(&w.conn, &w.maps, actor, &filed.number, &payload(action, &w.photo, n), None, NOW);
            if let Ok(after) = result {
                accepted += 1;
                if action == Action::Return { returns += 1; }
                if after.status == "closed" && before.status != "closed" {
                    prop_assert_eq!(action, Action::Approve);
                    prop_assert!(verifier, "closed by someone who may not verify");
                    prop_assert_ne!(actor.person.id, reporter_id, "the finder verified their own report");
                    prop_assert!(!major || before.transferred_to.is_some(), "a major hazard closed untransferred");
                }
            }
        }
        let after = store::cases::by_number(&w.conn, &filed.number).unwrap().unwrap();
        prop_assert_eq!(after.rework_count, returns);
        let entries = store::audit::for_case(&w.conn, after.id).unwrap();
        prop_assert_eq!(entries.len() as i64, accepted);
        prop_assert_eq!(after.version, accepted);
        let actions: BTreeSet<&str> = entries.iter().map(|e| e.record.action.as_str()).collect();
        prop_assert!(actions.contains("report"));
        prop_assert!(store::audit::verify(&w.conn).unwrap().is_ok());
    }
}

#[test]
fn the_happy_path_closes_in_the_property_world() {
    let w = world();
    let input = CaseInput {
        kind: "safety".into(),
        category: "S-F01".into(),
        grade: "general".into(),
        criterion: None,
        title: "隐患".into(),
        description: "描述".into(),
        lon: 118.605,
        lat: 36.705,
        enterprise_id: Some(1),
        photos: vec![w.photo.clone()],
    };
    let filed = cases::file(&w.conn, &w.maps, &w.actors[1], &input, NOW).unwrap();
    for (n, (action, who)) in [(Action::Register, 0), (Action::Dispatch, 0), (Action::Submit, 1), (Action::Approve, 2)]
        .into_iter()
        .enumerate()
    {
        let result =
            cases::act(&w.conn, &w.maps, &w.actors[who], &filed.number, &payload(action, &w.photo, n), None, NOW);
        assert!(result.is_ok(), "{action:?}: {result:?}");
    }
}
