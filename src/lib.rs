//! dutydesk: a terminal duty desk for a children's social care front door.
//!
//! Layers (DESIGN.md, Architecture): `domain` is pure rules; `store` is the only
//! code that speaks SQL; `desk` runs commands and queries; `cli` and `tui` build
//! them and show results.

pub mod cli;
pub mod config;
pub mod desk;
pub mod domain;
pub mod entry;
pub mod outfile;
pub mod serve;
pub mod session;
pub mod store;
pub mod tui;
