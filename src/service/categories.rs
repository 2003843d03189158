//! The editable two-level taxonomy of case categories (SPEC §5): read by
//! everyone, extended, renamed and retired by the town office.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::access::Scope;
use crate::domain::case::Kind;
use crate::error::{Error, Result};
use crate::service::printable::printable;
use crate::store::cases::{self as store, Category};

/// A new category as received.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Its code: 1–16 of A-Z, 0-9 and `-`.
    pub code: String,
    /// `safety`, `environment` or `river`.
    pub kind: String,
    /// The first-level category it belongs to; absent for a new first-level category.
    #[serde(default)]
    pub parent: Option<String>,
    /// Its Chinese name.
    pub name: String,
}

/// A change to a category.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// `false` retires a category: no new filings, existing cases keep it.
    #[serde(default)]
    pub active: Option<bool>,
}

fn checked_name(name: &str) -> Result<String> {
    let name = printable("name", name)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(Error::invalid("name", "类别名称须为 1–50 字", "a name is 1–50 characters"));
    }
    Ok(name.to_owned())
}

/// The taxonomy grouped by kind and first level, in display order.
pub fn tree(conn: &Connection) -> Result<Value> {
    let rows = store::categories(conn)?;
    let tops: Vec<Value> = rows
        .iter()
        .filter(|top| top.parent.is_none())
        .map(|top| {
            let children: Vec<Value> = rows
                .iter()
                .filter(|c| c.parent.as_deref() == Some(top.code.as_str()))
                .map(|c| json!({"code": c.code, "name": c.name}))
                .collect();
            json!({"code": top.code, "kind": top.kind, "name": top.name, "children": children})
        })
        .collect();
    Ok(json!(tops))
}

/// Checks a new category's fields (no database needed).
pub fn check(scope: &Scope, input: &NewCategory) -> Result<Category> {
    scope.require_admin()?;
    let code = input.code.trim().to_owned();
    if code.is_empty()
        || code.len() > 16
        || !code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::invalid(
            "code",
            "类别编码须为 1–16 位大写字母、数字或 -",
            "a category code is 1–16 of A-Z, 0-9 or -",
        ));
    }
    let kind = Kind::parse(&input.kind).ok_or_else(|| {
        Error::invalid("kind", "类型须为 safety、environment 或 river", "kind must be safety, environment or river")
    })?;
    Ok(Category { code, kind: kind.as_str().into(), parent: input.parent.clone(), name: checked_name(&input.name)? })
}

/// Adds a category (the town office); its parent must be a first-level category of its kind.
pub fn create(conn: &Connection, scope: &Scope, input: &NewCategory) -> Result<Category> {
    let category = check(scope, input)?;
    if let Some(parent) = &category.parent {
        match store::category(conn, parent)? {
            Some((kind, None, _)) if kind == category.kind => {}
            _ => {
                return Err(Error::invalid(
                    "parent",
                    format!("上级类别 {parent} 须为同类型的一级类别"),
                    format!("parent {parent} must be an active first-level category of the same kind"),
                ));
            }
        }
    }
    store::insert_category(conn, &category)?;
    Ok(category)
}

/// Renames or retires a category (the town office); 404 for an unknown code.
pub fn update(conn: &Connection, scope: &Scope, code: &str, patch: &CategoryPatch) -> Result<()> {
    scope.require_admin()?;
    let name = patch.name.as_deref().map(checked_name).transpose()?;
    if store::update_category(conn, code, name.as_deref(), patch.active)? {
        Ok(())
    } else {
        Err(Error::not_found(format!("没有类别 {code}"), format!("no category {code}")))
    }
}

/// Every category in display order (first levels and their children), for the report form.
pub fn all(conn: &Connection) -> Result<Vec<Category>> {
    store::categories(conn)
}

/// The whole taxonomy for the town office, retired categories included (with
/// whether each is active), so a retired one can be brought back.
pub fn for_office(conn: &Connection, scope: &Scope) -> Result<Vec<(Category, bool)>> {
    scope.require_admin()?;
    store::categories_with_retired(conn)
}
