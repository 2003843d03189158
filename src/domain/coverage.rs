//! The full-coverage report (全覆盖): every gap in the responsibility net of
//! SPEC §3, each named, so the town office can close it.

use serde::Serialize;

use crate::domain::people::{Assignment, ChiefLevel, Duty, Role, ScopeItem};
use crate::error::Msg;

/// How many town-hired safety experts the town must have.
pub const TOWN_EXPERTS: usize = 3;

/// An enterprise as the report needs it.
#[derive(Debug, Clone)]
pub struct EnterpriseFacts {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// 规模以上企业.
    pub above_scale: bool,
    /// 重点企业.
    pub key: bool,
}

/// A named thing the report checks (a village, river or reach).
#[derive(Debug, Clone)]
pub struct Named {
    /// Code.
    pub code: String,
    /// Display name (for a reach: river and village).
    pub name: String,
}

/// One hole in the coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Machine-readable kind, e.g. `village_without_inspector`.
    pub kind: &'static str,
    /// The code or id of what is uncovered.
    pub code: String,
    /// Its name.
    pub name: String,
    /// What is missing, in Chinese.
    pub message: String,
    /// What is missing, in English.
    pub message_en: String,
    /// The assignment that fills the gap (over `code`; for the town's experts, over the town).
    pub fill: Fill,
}

/// The kind of assignment that closes a gap: its role and, where the role
/// has one, the inspector's duty or the chief's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fill {
    /// The role to assign.
    pub role: Role,
    /// An inspector's duty.
    pub duty: Option<Duty>,
    /// A river chief's level.
    pub level: Option<ChiefLevel>,
}

impl Fill {
    fn role(role: Role) -> Self {
        Self { role, duty: None, level: None }
    }

    fn chief(level: ChiefLevel) -> Self {
        Self { role: Role::RiverChief, duty: None, level: Some(level) }
    }
}

fn gap(kind: &'static str, code: impl Into<String>, name: &str, msg: Msg, fill: Fill) -> Gap {
    Gap { kind, code: code.into(), name: name.to_owned(), message: msg.zh, message_en: msg.en, fill }
}

fn holders<'a>(active: &'a [Assignment], role: Role, item: &'a ScopeItem) -> impl Iterator<Item = &'a Assignment> {
    active.iter().filter(move |a| a.role == role && a.scope.contains(item))
}

/// Lists every gap, in a fixed order: villages, enterprises, town experts, rivers, reaches.
pub fn report(
    villages: &[Named],
    enterprises: &[EnterpriseFacts],
    rivers: &[Named],
    reaches: &[Named],
    active: &[Assignment],
) -> Vec<Gap> {
    let mut gaps = Vec::new();
    village_gaps(villages, active, &mut gaps);
    enterprise_gaps(enterprises, active, &mut gaps);
    let town_experts = active
        .iter()
        .filter(|a| a.role == Role::TownExpert)
        .map(|a| a.person_id)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if town_experts < TOWN_EXPERTS {
        gaps.push(gap(
            "town_experts_short",
            "town",
            "",
            Msg::new(
                format!("镇聘安全专家 {town_experts} 名，应为 {TOWN_EXPERTS} 名"),
                format!("the town has {town_experts} town experts, {TOWN_EXPERTS} are required"),
            ),
            Fill::role(Role::TownExpert),
        ));
    }
    for river in rivers {
        let item = ScopeItem::River(river.code.clone());
        if !holders(active, Role::RiverChief, &item).any(|a| a.level == Some(ChiefLevel::Town)) {
            gaps.push(gap(
                "river_without_town_chief",
                &river.code,
                &river.name,
                Msg::new(
                    format!("{}没有镇级河长", river.name),
                    format!("{} has no town-level river chief", river.name),
                ),
                Fill::chief(ChiefLevel::Town),
            ));
        }
        if holders(active, Role::RiverPolice, &item).next().is_none() {
            gaps.push(gap(
                "river_without_police",
                &river.code,
                &river.name,
                Msg::new(format!("{}没有河道警长", river.name), format!("{} has no river police chief", river.name)),
                Fill::role(Role::RiverPolice),
            ));
        }
    }
    for reach in reaches {
        let item = ScopeItem::Reach(reach.code.clone());
        if !holders(active, Role::RiverChief, &item).any(|a| a.level == Some(ChiefLevel::Village)) {
            gaps.push(gap(
                "reach_without_village_chief",
                &reach.code,
                &reach.name,
                Msg::new(
                    format!("{}没有村级河长", reach.name),
                    format!("{} has no village-level river chief", reach.name),
                ),
                Fill::chief(ChiefLevel::Village),
            ));
        }
    }
    gaps
}

fn village_gaps(villages: &[Named], active: &[Assignment], gaps: &mut Vec<Gap>) {
    for village in villages {
        let item = ScopeItem::Grid(village.code.clone());
        for duty in [Duty::Safety, Duty::Environment] {
            if !holders(active, Role::Inspector, &item).any(|a| a.duty == Some(duty)) {
                gaps.push(gap(
                    "village_without_inspector",
                    &village.code,
                    &village.name,
                    Msg::new(
                        format!("{}没有在岗的{}网格员", village.name, duty.zh()),
                        format!("{} has no active {} inspector", village.name, duty.as_str()),
                    ),
                    Fill { role: Role::Inspector, duty: Some(duty), level: None },
                ));
            }
        }
    }
}

fn enterprise_gaps(enterprises: &[EnterpriseFacts], active: &[Assignment], gaps: &mut Vec<Gap>) {
    for e in enterprises {
        let item = ScopeItem::Enterprise(e.id);
        if e.above_scale {
            let experts = holders(active, Role::EnterpriseExpert, &item)
                .map(|a| a.person_id)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            if experts != 1 {
                gaps.push(gap(
                    "enterprise_expert_count",
                    e.id.to_string(),
                    &e.name,
                    Msg::new(
                        format!("规模以上企业{}聘请的在岗安全专家为 {experts} 名，应恰好 1 名", e.name),
                        format!(
                            "above-scale enterprise {} has {experts} active hired experts, exactly 1 is required",
                            e.name
                        ),
                    ),
                    Fill::role(Role::EnterpriseExpert),
                ));
            }
        }
        if e.key && holders(active, Role::Cadre, &item).next().is_none() {
            gaps.push(gap(
                "key_enterprise_without_cadre",
                e.id.to_string(),
                &e.name,
                Msg::new(format!("重点企业{}没有包靠干部", e.name), format!("key enterprise {} has no cadre", e.name)),
                Fill::role(Role::Cadre),
            ));
        }
    }
}
