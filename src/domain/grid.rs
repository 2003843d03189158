//! Grids: the town → community → village tree, without geometry.

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Result};

/// The three levels of the grid tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GridLevel {
    /// 镇: the whole town, the root.
    Town,
    /// 社区 / 管理区: a community, child of the town.
    Community,
    /// 村: an administrative village, child of a community.
    Village,
}

impl GridLevel {
    /// All levels, root first.
    pub const ALL: [GridLevel; 3] = [Self::Town, Self::Community, Self::Village];

    /// The machine name used in files, URLs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Town => "town",
            Self::Community => "community",
            Self::Village => "village",
        }
    }

    /// The Chinese name shown to users.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Town => "镇",
            Self::Community => "社区",
            Self::Village => "村",
        }
    }

    /// The level a parent of this level must have, if any.
    pub fn parent_level(self) -> Option<GridLevel> {
        match self {
            Self::Town => None,
            Self::Community => Some(Self::Town),
            Self::Village => Some(Self::Community),
        }
    }

    /// Parses the machine name.
    ///
    /// ```
    /// use gridsafe::domain::grid::GridLevel;
    /// assert_eq!(GridLevel::parse("village").unwrap(), GridLevel::Village);
    /// assert!(GridLevel::parse("county").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == text).ok_or_else(|| {
            Error::invalid(
                "level",
                format!("网格层级必须是 town、community 或 village，收到 “{text}”"),
                format!("level must be town, community or village, got \"{text}\""),
            )
        })
    }
}

impl fmt::Display for GridLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A grid's hierarchical code: ASCII letters, digits, `-`, `_` or `.`, 1–48 characters.
/// A child's code starts with its parent's code (checked at import).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GridCode(String);

impl GridCode {
    /// Checks the character set and length.
    ///
    /// ```
    /// use gridsafe::domain::grid::GridCode;
    /// assert!(GridCode::parse("TF0103").is_ok());
    /// assert!(GridCode::parse("").is_err());
    /// assert!(GridCode::parse("TF 01").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        check_code("code", text)?;
        Ok(Self(text.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GridCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the shared rules of grid, river and reach codes.
pub(crate) fn check_code(field: &str, text: &str) -> Result<()> {
    let ok = !text.is_empty()
        && text.len() <= 48
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("编码只能由 1–48 个字母、数字、-、_、. 组成，收到 “{text}”"),
            format!("a code is 1–48 ASCII letters, digits, '-', '_' or '.', got \"{text}\""),
        ))
    }
}

/// A grid's identity and place in the tree (its polygon lives in `spatial`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grid {
    /// Unique hierarchical code.
    pub code: GridCode,
    /// Display name, e.g. 谭坊镇, 郑母社区, 东郑.
    pub name: String,
    /// Level in the tree.
    pub level: GridLevel,
    /// Parent's code; `None` only for the town.
    pub parent: Option<GridCode>,
    /// Official 12-digit statistical area code (统计用区划代码), villages only, when known.
    pub stat_code: Option<String>,
}

/// One link of a grid's ancestry, as shown in "谭坊镇 › 谭坊社区 › 王油".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridRef {
    /// The grid's code.
    pub code: GridCode,
    /// The grid's name.
    pub name: String,
    /// The grid's level.
    pub level: GridLevel,
}

impl From<&Grid> for GridRef {
    fn from(grid: &Grid) -> Self {
        Self { code: grid.code.clone(), name: grid.name.clone(), level: grid.level }
    }
}
