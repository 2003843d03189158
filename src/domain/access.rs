//! Object-level authorisation as one mechanism: a caller's active assignments
//! resolve into a [`Scope`], and every read and write asks the scope. Reads
//! outside it are answered as if the object did not exist (404, no existence
//! leak); writes outside it are refused (403).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::domain::people::{Assignment, Role, ScopeItem};
use crate::error::{Error, Msg};

/// Everything the caller may see and touch, resolved once per request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// Town office: every object in the town.
    pub admin: bool,
    /// Town expert: reads every enterprise in the town.
    pub town_expert: bool,
    /// Grids held as inspector or grid leader, expanded to all descendants.
    pub grids: BTreeSet<String>,
    /// Enterprises held as hired expert, cadre or contact.
    pub enterprises: BTreeSet<i64>,
    /// Rivers held as town-level chief or police chief.
    pub rivers: BTreeSet<String>,
    /// Reaches held as village- or community-level chief.
    pub reaches: BTreeSet<String>,
    /// Grids held as inspector (not grid leader), expanded to descendants.
    pub inspector_grids: BTreeSet<String>,
    /// Enterprises that hired the caller as their safety expert.
    pub hired_by: BTreeSet<i64>,
    /// Enterprises the caller speaks for as their contact (reports their fixes).
    pub contact_of: BTreeSet<i64>,
    /// Rivers of which the caller is the town-level chief.
    pub chief_rivers: BTreeSet<String>,
    /// The roles behind the scope.
    pub roles: BTreeSet<Role>,
}

impl Scope {
    /// Resolves active assignments; `descendants(code)` lists a grid and every grid below it.
    pub fn resolve(active: &[Assignment], descendants: impl Fn(&str) -> Vec<String>) -> Self {
        let mut scope = Self::default();
        for assignment in active {
            scope.roles.insert(assignment.role);
            match assignment.role {
                Role::Admin => scope.admin = true,
                Role::TownExpert => scope.town_expert = true,
                _ => {}
            }
            for item in &assignment.scope {
                match item {
                    ScopeItem::Grid(code) => {
                        let below = descendants(code);
                        if assignment.role == Role::Inspector {
                            scope.inspector_grids.extend(below.iter().cloned());
                        }
                        scope.grids.extend(below);
                    }
                    ScopeItem::Enterprise(id) => {
                        scope.enterprises.insert(*id);
                        match assignment.role {
                            Role::EnterpriseExpert => {
                                scope.hired_by.insert(*id);
                            }
                            Role::EnterpriseContact => {
                                scope.contact_of.insert(*id);
                            }
                            _ => {}
                        }
                    }
                    ScopeItem::River(code) => {
                        scope.rivers.insert(code.clone());
                        if assignment.role == Role::RiverChief {
                            scope.chief_rivers.insert(code.clone());
                        }
                    }
                    ScopeItem::Reach(code) => {
                        scope.reaches.insert(code.clone());
                    }
                    ScopeItem::Town(_) => {}
                }
            }
        }
        scope
    }

    /// Whether the caller holds a role.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// A grid the caller may read (its own grids and those below; the admin all).
    pub fn covers_grid(&self, code: &str) -> bool {
        self.admin || self.grids.contains(code)
    }

    /// An enterprise (at `grid`) the caller may read.
    pub fn reads_enterprise(&self, id: i64, grid: &str) -> bool {
        self.admin || self.town_expert || self.grids.contains(grid) || self.enterprises.contains(&id)
    }

    /// An enterprise at `grid` the caller may create or edit: the town office,
    /// or the inspectors and grid leaders of that grid (they register the
    /// premises they find).
    pub fn writes_enterprise(&self, grid: &str) -> bool {
        self.admin || self.grids.contains(grid)
    }

    /// Refuses anyone but the town office.
    pub fn require_admin(&self) -> Result<(), Error> {
        if self.admin { Ok(()) } else { Err(forbidden()) }
    }
}

/// The refusal of a write outside the caller's scope.
pub fn forbidden() -> Error {
    Error::Forbidden(Msg::new("无权执行此操作（超出您的职责范围）", "not allowed: outside your assignments"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(role: Role, scope: Vec<ScopeItem>) -> Assignment {
        Assignment {
            id: 1,
            person_id: 1,
            role,
            duty: None,
            level: None,
            specialty: None,
            from: "2026-01-01".into(),
            to: None,
            scope,
            end_reason: None,
        }
    }

    fn below(code: &str) -> Vec<String> {
        match code {
            "TF01" => vec!["TF01".into(), "TF0101".into(), "TF0102".into()],
            other => vec![other.into()],
        }
    }

    #[test]
    fn a_community_inspector_covers_its_villages_only() {
        let scope = Scope::resolve(&[assignment(Role::Inspector, vec![ScopeItem::Grid("TF01".into())])], below);
        assert!(scope.covers_grid("TF0102"));
        assert!(!scope.covers_grid("TF0201"));
        assert!(scope.writes_enterprise("TF0101"));
        assert!(!scope.reads_enterprise(7, "TF0201"));
        assert!(scope.require_admin().is_err());
    }

    #[test]
    fn an_expert_reads_only_the_enterprises_that_hired_them() {
        let scope = Scope::resolve(&[assignment(Role::EnterpriseExpert, vec![ScopeItem::Enterprise(7)])], below);
        assert!(scope.reads_enterprise(7, "TF0201"));
        assert!(!scope.reads_enterprise(8, "TF0201"));
        assert!(!scope.writes_enterprise("TF0201"));
    }

    #[test]
    fn a_contact_reads_their_own_enterprise_and_writes_no_enterprise() {
        let scope = Scope::resolve(&[assignment(Role::EnterpriseContact, vec![ScopeItem::Enterprise(7)])], below);
        assert!(scope.reads_enterprise(7, "TF0201"));
        assert!(!scope.reads_enterprise(8, "TF0201"));
        assert!(!scope.writes_enterprise("TF0201"));
        assert!(scope.contact_of.contains(&7) && scope.hired_by.is_empty() && scope.grids.is_empty());
        assert!(scope.require_admin().is_err());
    }

    #[test]
    fn the_admin_sees_everything() {
        let scope = Scope::resolve(&[assignment(Role::Admin, vec![ScopeItem::Town("TF".into())])], below);
        assert!(scope.covers_grid("anything") && scope.reads_enterprise(1, "x") && scope.writes_enterprise("x"));
        assert!(scope.require_admin().is_ok());
    }
}
