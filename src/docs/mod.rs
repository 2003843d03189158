//! Documents: data in, bytes out. No I/O, no database: callers build the
//! view-models from the store and write the bytes where they belong.

pub mod ledger;
pub mod map;
pub mod notice;
pub mod patrol;
pub mod pdf;
