//! Enterprises and premises: the unified social credit code (统一社会信用代码,
//! GB 32100-2015) and the 小散乱污 governance lifecycle.

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Msg, Result};

/// The 31 characters a USCC may use, in value order (no I, O, S, V, Z).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Why a text is not a valid USCC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsccError {
    /// Not 18 characters after trimming.
    Length(usize),
    /// A character outside `0-9A-HJ-NPQRTUWXY` at this (1-based) position.
    Charset(usize, char),
    /// The check digit is wrong; `expected` is what the first 17 characters require.
    Check {
        /// The check character the code should end with.
        expected: char,
    },
}

impl UsccError {
    /// The user-facing message.
    pub fn msg(&self) -> Msg {
        match self {
            Self::Length(n) => Msg::new(
                format!("统一社会信用代码应为 18 位，实际 {n} 位"),
                format!("a unified social credit code has 18 characters, this one has {n}"),
            ),
            Self::Charset(at, c) => Msg::new(
                format!("统一社会信用代码第 {at} 位“{c}”不是允许的字符（不含 I、O、S、V、Z）"),
                format!("character {at} '{c}' is not allowed in a unified social credit code (no I, O, S, V, Z)"),
            ),
            Self::Check { expected } => Msg::new(
                format!("统一社会信用代码校验位错误，应为 {expected}（如为早期试点代码，可由管理员备注后强制录入）"),
                format!(
                    "the check digit is wrong, it should be {expected} (an admin may override early pilot codes with a note)"
                ),
            ),
        }
    }
}

/// A normalised unified social credit code. `checked` is false only for a
/// code whose checksum fails and that an admin accepted with a note.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

impl Uscc {
    /// Normalises (trim, upper-case) and validates length, charset and check digit.
    ///
    /// ```
    /// use gridsafe::domain::enterprise::{Uscc, UsccError};
    /// assert_eq!(Uscc::parse(" 91370781maay4cl120 ").unwrap().as_str(), "91370781MAAY4CL120");
    /// assert_eq!(Uscc::parse("91350100M000100Y4Z"), Err(UsccError::Check { expected: '3' }));
    /// assert!(matches!(Uscc::parse("91370I81MAAY4CL120"), Err(UsccError::Charset(6, 'I'))));
    /// ```
    pub fn parse(text: &str) -> Result<Self, UsccError> {
        let code = Self::normalise(text)?;
        let expected = check_char(&code);
        if code.as_bytes()[17] == expected {
            Ok(Self(code))
        } else {
            Err(UsccError::Check { expected: char::from(expected) })
        }
    }

    /// Accepts a code whose only fault is its check digit (an admin's override).
    /// Length and charset are still enforced.
    pub fn parse_overridden(text: &str) -> Result<Self, UsccError> {
        Self::normalise(text).map(Self)
    }

    fn normalise(text: &str) -> Result<String, UsccError> {
        let code = text.trim().to_ascii_uppercase();
        let chars = code.chars().count();
        if chars != 18 {
            return Err(UsccError::Length(chars));
        }
        // The body must use the code alphabet. A wrong 18th character is a
        // check-digit error (it is what the check compares), so early pilot
        // codes ending in any letter or digit can still be overridden.
        let bad = code
            .chars()
            .enumerate()
            .find(|&(at, c)| !c.is_ascii_alphanumeric() || (at < 17 && !ALPHABET.contains(&(c as u8))));
        if let Some((at, c)) = bad {
            return Err(UsccError::Charset(at + 1, c));
        }
        Ok(code)
    }

    /// Completes 17 characters with their check digit (used to make demo codes).
    ///
    /// ```
    /// use gridsafe::domain::enterprise::Uscc;
    /// assert_eq!(Uscc::complete("91512081MA62K0260").unwrap().as_str(), "91512081MA62K0260E");
    /// ```
    pub fn complete(first17: &str) -> Result<Self, UsccError> {
        Self::parse_overridden(&format!("{first17}0")).map(|Self(mut code)| {
            let check = check_char(&code);
            code.pop();
            code.push(char::from(check));
            Self(code)
        })
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The check character for a normalised 18-character code (its 18th is ignored).
fn check_char(code: &str) -> u8 {
    let mut weight = 1u32;
    let mut sum = 0u32;
    for b in code.bytes().take(17) {
        let value = ALPHABET.iter().position(|&a| a == b).expect("charset checked") as u32;
        sum += value * weight;
        weight = weight * 3 % 31;
    }
    ALPHABET[((31 - sum % 31) % 31) as usize]
}

/// Maps a USCC error to the crate error on field `uscc`.
pub fn uscc_error(e: &UsccError) -> Error {
    Error::Invalid { field: "uscc".into(), reason: e.msg() }
}

/// Governance status of premises under the 小散乱污 campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Governance {
    /// Not under remediation.
    Normal,
    /// 列入整治: listed for remediation.
    Listed,
    /// 关停取缔: closed down (needs the 两断三清 checklist).
    Closed,
    /// 整合搬迁: relocated.
    Relocated,
    /// 升级改造: upgraded.
    Upgraded,
}

impl Governance {
    /// All statuses.
    pub const ALL: [Self; 5] = [Self::Normal, Self::Listed, Self::Closed, Self::Relocated, Self::Upgraded];

    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Listed => "listed",
            Self::Closed => "closed",
            Self::Relocated => "relocated",
            Self::Upgraded => "upgraded",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Normal => "正常",
            Self::Listed => "列入整治",
            Self::Closed => "关停取缔",
            Self::Relocated => "整合搬迁",
            Self::Upgraded => "升级改造",
        }
    }

    /// Parses the machine name.
    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == text).ok_or_else(|| {
            Error::invalid(
                "governance",
                format!("整治状态必须是 normal、listed、closed、relocated 或 upgraded，收到 “{text}”"),
                format!("governance must be normal, listed, closed, relocated or upgraded, got \"{text}\""),
            )
        })
    }

    /// Whether the lifecycle allows moving from `self` to `to`:
    /// normal → listed → closed | relocated | upgraded.
    pub fn can_move_to(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Normal, Self::Listed) | (Self::Listed, Self::Closed | Self::Relocated | Self::Upgraded)
        )
    }
}

/// The 两断三清 checklist recorded when premises are closed down.
pub const CLOSURE_ITEMS: [(&str, &str); 5] = [
    ("water_cut", "断水"),
    ("power_cut", "断电"),
    ("materials_cleared", "清除原料"),
    ("products_cleared", "清除产品"),
    ("equipment_cleared", "清除设备"),
];

/// Default days between re-inspections of closed premises.
pub const REINSPECT_EVERY_DAYS: i64 = 90;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_test_vectors_hold() {
        let text = include_str!("../../tests/fixtures/uscc-samples.tsv");
        let mut checked = 0;
        for line in text.lines().skip(1) {
            let mut cols = line.split('\t');
            let (code, expected) = (cols.next().unwrap(), cols.next().unwrap());
            let got = Uscc::parse(code);
            match expected {
                "valid" | "valid-after-normalising" => assert!(got.is_ok(), "{code:?}: {got:?}"),
                "invalid-check" => {
                    assert!(matches!(got, Err(UsccError::Check { .. })), "{code:?}: {got:?}");
                    assert!(Uscc::parse_overridden(code).is_ok(), "{code:?} cannot be overridden");
                }
                "invalid-length" => assert!(matches!(got, Err(UsccError::Length(_))), "{code:?}: {got:?}"),
                "invalid-charset" => assert!(matches!(got, Err(UsccError::Charset(..))), "{code:?}: {got:?}"),
                other => panic!("unknown expectation {other}"),
            }
            checked += 1;
        }
        assert!(checked >= 18, "only {checked} vectors");
    }

    #[test]
    fn the_lifecycle_only_moves_forward() {
        use Governance::*;
        assert!(Normal.can_move_to(Listed));
        assert!(Listed.can_move_to(Closed) && Listed.can_move_to(Relocated) && Listed.can_move_to(Upgraded));
        assert!(!Normal.can_move_to(Closed));
        assert!(!Closed.can_move_to(Normal));
        assert!(!Closed.can_move_to(Listed));
    }
}
