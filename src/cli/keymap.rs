//! `dutydesk keymap check FILE` and `dutydesk keymap show`: the arguments.
//! The keymap is the screens' (`tui::keymap`); the entry point runs them.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeymapCmd {
    /// Check a keymap file: unknown sections or actions and clashing keys are
    /// reported with the file, line and reason (exit 2)
    Check { file: PathBuf },
    /// Print the active keys (the defaults, your preset and your file)
    Show {
        /// A keymap file to show instead of your own
        #[arg(long)]
        file: Option<PathBuf>,
    },
}
