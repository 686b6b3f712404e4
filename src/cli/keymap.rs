//! `dutydesk keymap check FILE` and `dutydesk keymap show`.

use std::path::PathBuf;

use clap::Subcommand;

use super::Env;
use crate::desk::DeskError;
use crate::tui::keymap::{self, Keymap};

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

pub fn run_keymap(cmd: KeymapCmd, _env: &Env) -> Result<(), DeskError> {
    let bad = |e: keymap::KeymapError| DeskError::Invalid(format!("keymap: {e}"));
    match cmd {
        KeymapCmd::Check { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| DeskError::Invalid(format!("keymap: {}: {e}", file.display())))?;
            let km = Keymap::with_user(&file.display().to_string(), &text).map_err(bad)?;
            println!(
                "{}: ok ({} keys active with the defaults)",
                file.display(),
                km.count()
            );
            Ok(())
        }
        KeymapCmd::Show { file } => {
            let km = match file.or_else(keymap::user_keymap_path) {
                Some(p) => Keymap::load_file(&p).map_err(bad)?,
                None => Keymap::builtin(),
            };
            let mut text = String::new();
            for (section, _) in keymap::SECTIONS {
                text.push_str(&format!("[{section}]\n"));
                for (keys, action, desc) in km.help(section) {
                    text.push_str(&format!("  {keys:<20} {action:<20} {desc}\n"));
                }
            }
            // A closed pipe (`| head`) is not an error.
            let mut out = std::io::stdout().lock();
            match std::io::Write::write_all(&mut out, text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(DeskError::Invalid(format!("keymap show: {e}")))
                }
                _ => Ok(()),
            }
        }
    }
}
