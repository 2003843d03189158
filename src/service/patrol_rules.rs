//! The anti-fake rules per chief level (SPEC §6) as settings the town office
//! reads and edits: one view for the settings page and `GET
//! /api/v1/settings/patrol-rules`, one write path for the form and `PATCH`.
//! Every change is checked field by field against [`RULE_FIELDS`] and recorded
//! in the audit chain (what changed, from what, to what). New filings read
//! the rules at filing time; stored logs keep the verdict they got.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::domain::patrol::{RULE_FIELDS, Rules};
use crate::domain::people::ChiefLevel;
use crate::domain::time::china_timestamp;
use crate::error::{Error, Result};
use crate::service::accounts::Actor;
use crate::store::audit::{self as audit_store, Note};
use crate::store::patrols as store;

/// The rules of one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelRules {
    /// `town`, `community` or `village`.
    pub level: &'static str,
    /// Its rules.
    #[serde(flatten)]
    pub rules: Rules,
}

/// Every level's rules and their version (for If-Match).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulesView {
    /// Bumped by every saved change.
    pub version: i64,
    /// Town, community, village.
    pub levels: Vec<LevelRules>,
}

/// A change: level → field → new value. Fields left out keep their value.
pub type RulesPatch = BTreeMap<String, BTreeMap<String, f64>>;

/// The rules in force, as the town office's settings (admin only).
pub fn settings(conn: &Connection, actor: &Actor) -> Result<RulesView> {
    actor.scope.require_admin()?;
    view(conn)
}

/// The rules in force.
pub fn view(conn: &Connection) -> Result<RulesView> {
    let mut levels = Vec::with_capacity(ChiefLevel::ALL.len());
    for level in ChiefLevel::ALL {
        levels.push(LevelRules { level: level.as_str(), rules: store::rules(conn, level.as_str())? });
    }
    Ok(RulesView { version: store::rules_version(conn)?, levels })
}

/// Applies `patch` (the town office only), refusing the first value out of
/// its bounds with an error that names `level.field`. A patch that changes
/// nothing writes nothing; otherwise the version moves on (if still
/// `expected`) and one audit entry lists every change.
pub fn update(
    conn: &Connection,
    actor: &Actor,
    patch: &RulesPatch,
    expected: Option<i64>,
    now_s: i64,
) -> Result<RulesView> {
    actor.scope.require_admin()?;
    let mut changes = Vec::new();
    for (level_name, fields) in patch {
        let level = ChiefLevel::parse(level_name)?;
        let old = store::rules(conn, level.as_str())?;
        let mut new = old;
        for (name, value) in fields {
            new.set(level, name, *value)?;
        }
        for f in &RULE_FIELDS {
            let (before, after) = (old.get(f.name), new.get(f.name));
            if before != after {
                let show = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
                changes.push(format!("{}{} {} → {} {}", level.zh(), f.zh, show(before), show(after), f.unit_zh));
            }
        }
        if new != old {
            store::set_rules(conn, level.as_str(), &new)?;
        }
    }
    let before = store::rules_version(conn)?;
    if changes.is_empty() && expected.is_none_or(|e| e == before) {
        return view(conn);
    }
    // A stale version is refused here, and the transaction undoes the rows above.
    let after = store::bump_rules_version(conn, expected)?;
    audit_store::append_note(
        conn,
        actor.person.id,
        china_timestamp(now_s),
        Note {
            action: "patrol_rules".into(),
            from: Some(format!("v{before}")),
            to: Some(format!("v{after}")),
            comment: format!("修改巡河规则：{}", changes.join("；")),
            ..Note::default()
        },
    )?;
    view(conn)
}

/// Reads a form's typed text as a rule value: the error names the field.
pub fn parse_value(field: &str, text: &str) -> Result<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
        Error::invalid(field, format!("“{}” 不是数字", text.trim()), format!("\"{}\" is not a number", text.trim()))
    })
}
