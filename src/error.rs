//! The crate-wide error type and `Result` alias.
//!
//! Every layer returns [`Error`]; only `http/error.rs` turns it into a status
//! code and a JSON body. Messages carry Chinese first and English second,
//! because the people who read them are town clerks and inspectors.

use std::fmt;

/// A user-facing message in Simplified Chinese with its English equivalent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// The Simplified Chinese text, shown first.
    pub zh: String,
    /// The English text, shown when the user switches language.
    pub en: String,
}

impl Msg {
    /// Builds a message from its Chinese and English texts.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.zh, self.en)
    }
}

impl Error {
    /// The message meant for people, if the error has one (5xx errors do not).
    pub fn message(&self) -> Option<&Msg> {
        match self {
            Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Forbidden(m)
            | Self::Unauthenticated(m)
            | Self::Stale(m)
            | Self::TooLarge(m)
            | Self::UnsupportedMedia(m)
            | Self::Busy(m)
            | Self::Full(m) => Some(m),
            Self::Rejected { summary, .. } => Some(summary),
            Self::Invalid { reason, .. } | Self::Refused { reason, .. } | Self::RateLimited { reason, .. } => {
                Some(reason)
            }
            Self::Sqlite(_) | Self::Internal(_) => None,
        }
    }

    /// The input field the error names, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Everything that can go wrong in gridsafe, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or is outside the caller's scope).
    #[error("not found: {0}")]
    NotFound(Msg),
    /// An input field failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The offending field or query parameter.
        field: String,
        /// What is wrong with it.
        reason: Msg,
    },
    /// A whole document (a GeoJSON file, a CSV) was rejected with every problem listed.
    #[error("rejected: {summary} ({} problems)", problems.len())]
    Rejected {
        /// One line saying what was rejected.
        summary: Msg,
        /// Every problem found, each naming where it is.
        problems: Vec<String>,
    },
    /// The request conflicts with the current state (duplicate, wrong state).
    #[error("conflict: {0}")]
    Conflict(Msg),
    /// An action the current state does not allow; `allowed` lists what the caller may do.
    #[error("refused: {reason}")]
    Refused {
        /// Why.
        reason: Msg,
        /// The actions the caller may take now.
        allowed: Vec<String>,
    },
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(Msg),
    /// No valid session: log in first.
    #[error("unauthenticated: {0}")]
    Unauthenticated(Msg),
    /// The write was based on an outdated version (If-Match failed).
    #[error("stale: {0}")]
    Stale(Msg),
    /// The request body is larger than allowed.
    #[error("too large: {0}")]
    TooLarge(Msg),
    /// The request body is not of the media type the route takes (JSON).
    #[error("unsupported media type: {0}")]
    UnsupportedMedia(Msg),
    /// Too many attempts; wait before retrying.
    #[error("rate limited: {reason}")]
    RateLimited {
        /// What happened and how long to wait, for people.
        reason: Msg,
        /// How long to wait, for programs (sent as `Retry-After`); the message says the same.
        retry_after_s: u64,
    },
    /// The store could not take the work within the bounded wait.
    #[error("busy: {0}")]
    Busy(Msg),
    /// The server's storage is full: nothing was written; retry later.
    #[error("storage full: {0}")]
    Full(Msg),
    /// A database failure.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Anything else; shown to clients only as an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: Msg::new(zh, en) }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::NotFound(Msg::new(zh, en))
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
