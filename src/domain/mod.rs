//! Pure domain rules and types: no I/O, no axum, no rusqlite.
//!
//! Glossary (one English name per Chinese term, used throughout the code):
//!
//! | Chinese | English |
//! |---|---|
//! | 镇 / 社区(管理区) / 村 | town / community / village (grid levels) |
//! | 网格 | grid |
//! | 网格员 | inspector |
//! | 网格长 | grid leader |
//! | 隐患 | case / hazard |
//! | 整改通知书 | rectification notice |
//! | 验收销号 | sign-off |
//! | 返工 | rework |
//! | 延期 | extension |
//! | 移送 | transfer |
//! | 挂牌督办 | supervision |
//! | 河长 | river chief |
//! | 河段 | reach |
//! | 巡河日志 | patrol log |

pub mod access;
pub mod audit;
pub mod case;
pub mod coverage;
pub mod enterprise;
pub mod geo_point;
pub mod grid;
pub mod kpi;
pub mod patrol;
pub mod people;
pub mod river;
pub mod time;
