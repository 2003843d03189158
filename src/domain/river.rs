//! Rivers under the river-chief system (河长制) and their reaches (河段).

use std::fmt;

use serde::Serialize;

use crate::domain::grid::check_code;
use crate::error::Result;

/// A river's code, e.g. `mihe` for 弥河. Same character rules as grid codes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RiverCode(String);

impl RiverCode {
    /// Checks the character set and length.
    pub fn parse(text: &str) -> Result<Self> {
        check_code("code", text)?;
        Ok(Self(text.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RiverCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A river: code and name (its line lives in `spatial`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct River {
    /// Unique code.
    pub code: RiverCode,
    /// Display name, e.g. 弥河.
    pub name: String,
}
