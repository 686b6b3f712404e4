//! Keymaps: `keymaps/default.toml` (embedded), an optional preset
//! (`keymaps/vim.toml`) and the user's file, each overriding the one before key
//! by key. One table per screen plus `[global]`; keys in the notation `"q"`,
//! `"G"`, `"<C-s>"`, `"<Enter>"`, `"g g"` (a sequence); actions in kebab-case.
//!
//! An unknown section or action, a key that cannot be read, or a clashing key
//! stops start-up with the file, the line and the reason.
//!
//! Every screen module registers its actions (name, description) in
//! [`SECTIONS`]; the help overlay takes its text from there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use toml::de::{DeTable, DeValue};

pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");
pub const VIM_TOML: &str = include_str!("../../keymaps/vim.toml");

/// A screen's typed action (as atuin's `enum Action`): its kebab-case name
/// in the keymap files, a short label for the footer and a description for
/// help. Declared with [`screen_actions!`].
pub trait ScreenAction: Copy {
    fn name(self) -> &'static str;
    fn label(self) -> &'static str;
}

/// One key hint for the footer: an action, drawn with the key the active
/// keymap binds to it (none bound: not shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    pub action: &'static str,
    pub label: &'static str,
}

impl<A: ScreenAction> From<A> for Hint {
    fn from(a: A) -> Hint {
        Hint {
            action: a.name(),
            label: a.label(),
        }
    }
}

/// Declares a screen's actions as an enum: `Variant = ("kebab-name",
/// "footer label", "help description")`. The enum parses the keymap's
/// action names (`parse`), and `TABLE` registers them in [`SECTIONS`].
macro_rules! screen_actions {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($variant:ident = ($key:literal, $label:literal, $desc:literal)),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// (name, description) of every action, for the keymap registry.
            pub const TABLE: &'static [(&'static str, &'static str)] = &[$(($key, $desc)),*];
            pub fn describe(self) -> &'static str {
                match self { $($name::$variant => $desc),* }
            }
            /// The action a keymap name stands for on this screen.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($key => Some($name::$variant),)* _ => None }
            }
        }

        impl $crate::tui::keymap::ScreenAction for $name {
            fn name(self) -> &'static str {
                match self { $($name::$variant => $key),* }
            }
            fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }
        }
    };
}
pub(crate) use screen_actions;

screen_actions! {
    /// Actions understood by the loop itself, on every screen.
    pub enum GlobalAction {
        Quit = ("quit", "quit", "quit dutydesk"),
        Help = ("help", "keys", "show the active keys"),
        Back = ("back", "back", "close this screen or dialog"),
        Refresh = ("refresh", "refresh", "re-read the screen from the database"),
    }
}

/// Actions understood by the loop itself, on every screen.
pub fn global_actions() -> &'static [(&'static str, &'static str)] {
    GlobalAction::TABLE
}

/// Every keymap section and the actions its screen understands. A new screen
/// adds one line here: `("its-section", its_module::actions)`.
/// A screen's actions: (name, description) pairs.
pub type Actions = &'static [(&'static str, &'static str)];

/// A keymap section and the actions of the screen that uses it.
pub type Section = (&'static str, fn() -> Actions);

pub const SECTIONS: &[Section] = &[
    ("global", global_actions),
    ("queue", super::queue::actions),
    ("referral", super::referral::actions),
    ("call-form", super::call_form::actions),
    ("confirmations", super::confirmations::actions),
    ("handover", super::handover::actions),
    ("reports", super::reports::actions),
    ("chronology", super::chronology::actions),
    ("allocate", super::allocate::actions),
];

/// The action name that removes a default binding in a user's file.
pub const UNBIND: &str = "none";

fn section_actions(section: &str) -> Option<&'static [(&'static str, &'static str)]> {
    SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, f)| f())
}

/// The description of an action, from the registry.
pub fn describe(section: &str, action: &str) -> Option<&'static str> {
    section_actions(section)?
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, d)| *d)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {msg}")]
pub struct KeymapError {
    pub path: String,
    pub line: usize,
    pub msg: String,
}

/// One key press, normalised (a letter's case is in the letter, not in SHIFT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub mods: u8,
}

/// `KeyCode` with an order, so keys can live in sorted maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(u8),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("Enter", KeyCode::Enter),
    ("CR", KeyCode::Enter),
    ("Return", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Backspace", KeyCode::Backspace),
    ("BS", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Del", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
];

fn named_index(code: KeyCode) -> Option<u8> {
    // The first name of each code is its index, so aliases map to one key.
    NAMED.iter().position(|(_, c)| *c == code).map(|i| i as u8)
}

impl Key {
    /// A key event as a `Key` (None for keys no keymap can name).
    pub fn from_event(e: &KeyEvent) -> Option<Key> {
        let mut mods =
            e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match e.code {
            KeyCode::Char(' ') => KeyCodeOrd::Char(' '),
            KeyCode::Char(c) => {
                // "G" arrives as Char('G') + SHIFT; keep the case in the char.
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCodeOrd::Char(c.to_ascii_lowercase())
                } else {
                    KeyCodeOrd::Char(c)
                }
            }
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCodeOrd::Named(named_index(KeyCode::BackTab)?)
            }
            other => KeyCodeOrd::Named(named_index(other)?),
        };
        Some(Key {
            code,
            mods: mods.bits(),
        })
    }

    /// Parses one key: `q`, `G`, `?`, `<C-s>`, `<A-x>`, `<S-Tab>`, `<Enter>`, `<F5>`, `<Space>`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut chars = s.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_whitespace() || c.is_control() {
                return Err(format!("{s:?} is not a key; write a space as <Space>"));
            }
            return Ok(Key {
                code: KeyCodeOrd::Char(c),
                mods: 0,
            });
        }
        let inner = s
            .strip_prefix('<')
            .and_then(|r| r.strip_suffix('>'))
            .ok_or_else(|| {
                format!("{s:?} is not a key; use one character, or a name like <Enter> or <C-s>")
            })?;
        let mut mods = KeyModifiers::NONE;
        let mut rest = inner;
        loop {
            let lower = rest.get(..2).map(|p| p.to_ascii_uppercase());
            match lower.as_deref() {
                Some("C-") if rest.len() > 2 => mods |= KeyModifiers::CONTROL,
                Some("A-") | Some("M-") if rest.len() > 2 => mods |= KeyModifiers::ALT,
                Some("S-") if rest.len() > 2 => mods |= KeyModifiers::SHIFT,
                _ => break,
            }
            rest = &rest[2..];
        }
        let mut rc = rest.chars();
        let code = if let (Some(c), None) = (rc.next(), rc.next()) {
            let c = if mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else if mods.contains(KeyModifiers::SHIFT) {
                mods.remove(KeyModifiers::SHIFT);
                c.to_ascii_uppercase()
            } else {
                c
            };
            KeyCodeOrd::Char(c)
        } else if rest.eq_ignore_ascii_case("Space") {
            KeyCodeOrd::Char(' ')
        } else if let Some(n) = rest
            .strip_prefix(['F', 'f'])
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=12).contains(n))
        {
            KeyCodeOrd::F(n)
        } else if let Some((_, code)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)) {
            let mut code = *code;
            if code == KeyCode::Tab && mods.contains(KeyModifiers::SHIFT) {
                mods.remove(KeyModifiers::SHIFT);
                code = KeyCode::BackTab;
            }
            KeyCodeOrd::Named(named_index(code).unwrap_or(0))
        } else {
            return Err(format!(
                "{s:?} is not a key I know; names are {}, Space, F1-F12, with C- A- S- for Ctrl, Alt, Shift",
                NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ));
        };
        Ok(Key {
            code,
            mods: mods.bits(),
        })
    }

    /// A key or a space-separated sequence (`g g`).
    pub fn parse_seq(s: &str) -> Result<Vec<Key>, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("an empty key; write a space as <Space>".into());
        }
        if t.chars().count() == 1 {
            return Ok(vec![Key::parse(t)?]);
        }
        t.split(' ')
            .filter(|p| !p.is_empty())
            .map(Key::parse)
            .collect()
    }

    /// The notation, for the help overlay.
    pub fn notation(&self) -> String {
        let mods = KeyModifiers::from_bits_truncate(self.mods);
        let mut prefix = String::new();
        if mods.contains(KeyModifiers::CONTROL) {
            prefix.push_str("C-");
        }
        if mods.contains(KeyModifiers::ALT) {
            prefix.push_str("A-");
        }
        if mods.contains(KeyModifiers::SHIFT) {
            prefix.push_str("S-");
        }
        let base = match self.code {
            KeyCodeOrd::Char(' ') => "Space".to_string(),
            KeyCodeOrd::Char(c) if prefix.is_empty() => return c.to_string(),
            KeyCodeOrd::Char(c) => c.to_string(),
            KeyCodeOrd::F(n) => format!("F{n}"),
            KeyCodeOrd::Named(i) => NAMED
                .get(i as usize)
                .map(|(n, _)| n.to_string())
                .unwrap_or_default(),
        };
        format!("<{prefix}{base}>")
    }
}

/// `<Enter>` as `Enter`, `<C-s>` as `C-s`, `g g` as it is: for hints.
pub fn plain_notation(n: &str) -> String {
    n.split(' ')
        .map(|k| {
            k.strip_prefix('<')
                .and_then(|r| r.strip_suffix('>'))
                .unwrap_or(k)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn seq_notation(seq: &[Key]) -> String {
    seq.iter().map(Key::notation).collect::<Vec<_>>().join(" ")
}

/// One binding, with where it came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub action: String,
    pub path: String,
    pub line: usize,
}

/// What a key (or the keys typed so far) means on one screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The keys so far are bound to this action, found in this section.
    Action {
        action: String,
        section: String,
    },
    /// The keys so far start a longer sequence: wait for the next key.
    Prefix,
    None,
}

/// The active keymap: section → key sequence → binding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    pub sections: BTreeMap<String, BTreeMap<Vec<Key>, Binding>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|p| p.matches('\n').count() + 1)
        .unwrap_or(1)
}

impl Keymap {
    /// The embedded default keymap alone.
    pub fn builtin() -> Keymap {
        let mut k = Keymap::default();
        // The embedded file is checked by a test; fall back to empty rather than panic.
        let _ = k.apply("keymaps/default.toml", DEFAULT_TOML);
        k
    }

    /// The default keymap, then a preset (`preset = "vim"` in the user's
    /// file), then the user's file.
    pub fn with_user(path: &str, text: &str) -> Result<Keymap, KeymapError> {
        let mut k = Keymap::default();
        k.apply("keymaps/default.toml", DEFAULT_TOML)?;
        if let Some(preset) = preset_of(path, text)? {
            k.apply("keymaps/vim.toml", preset)?;
        }
        k.apply(path, text)?;
        Ok(k)
    }

    /// Loads the user's file if it exists (`DUTYDESK_KEYMAP`, or
    /// `keymap.toml` in the config directory).
    pub fn load() -> Result<Keymap, KeymapError> {
        match user_keymap_path() {
            Some(p) => Keymap::load_file(&p),
            None => Ok(Keymap::builtin()),
        }
    }

    pub fn load_file(p: &Path) -> Result<Keymap, KeymapError> {
        match std::fs::read_to_string(p) {
            Ok(text) => Keymap::with_user(&p.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut k = Keymap::default();
                k.apply("keymaps/default.toml", DEFAULT_TOML)?;
                Ok(k)
            }
            Err(e) => Err(KeymapError {
                path: p.display().to_string(),
                line: 0,
                msg: e.to_string(),
            }),
        }
    }

    /// Applies one file over what is loaded: each key it names replaces the
    /// binding of that key in that section; `"none"` removes it.
    pub fn apply(&mut self, path: &str, text: &str) -> Result<(), KeymapError> {
        let err = |line: usize, msg: String| KeymapError {
            path: path.to_string(),
            line,
            msg,
        };
        let doc = DeTable::parse(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            err(line, e.message().trim().replace('\n', " "))
        })?;
        // Lines of this file's bindings, by section and key, to find clashes.
        let mut seen: BTreeMap<(String, Vec<Key>), usize> = BTreeMap::new();
        let mut entries: Vec<_> = doc.get_ref().iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (sec_key, sec_val) in entries {
            let section = sec_key.get_ref().to_string();
            let sec_line = line_of(text, sec_key.span().start);
            if section == "preset" {
                continue; // read by preset_of
            }
            let Some(known) = section_actions(&section) else {
                return Err(err(
                    sec_line,
                    format!(
                        "unknown section [{}]; sections are {}",
                        section.escape_debug(),
                        SECTIONS
                            .iter()
                            .map(|(s, _)| format!("[{s}]"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            let DeValue::Table(table) = sec_val.get_ref() else {
                return Err(err(
                    sec_line,
                    format!("{} must be a table of keys", section.escape_debug()),
                ));
            };
            let mut binds: Vec<_> = table.iter().collect();
            binds.sort_by_key(|(k, _)| k.span().start);
            for (key, val) in binds {
                let line = line_of(text, key.span().start);
                let notation = key.get_ref().as_ref();
                let seq = Key::parse_seq(notation).map_err(|m| err(line, m))?;
                let DeValue::String(action) = val.get_ref() else {
                    return Err(err(
                        line,
                        format!("the action for {notation:?} must be a string, e.g. \"quit\""),
                    ));
                };
                let action = action.as_ref();
                if action != UNBIND && !known.iter().any(|(a, _)| *a == action) {
                    return Err(err(
                        line,
                        format!(
                            "unknown action {action:?} in [{}]; actions here are {}",
                            section.escape_debug(),
                            known.iter().map(|(a, _)| *a).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                if let Some(first) = seen.insert((section.clone(), seq.clone()), line) {
                    return Err(err(
                        line,
                        format!(
                            "{notation:?} clashes with line {first}: both are the key {} in [{section}]",
                            seq_notation(&seq)
                        ),
                    ));
                }
                let map = self.sections.entry(section.clone()).or_default();
                if action == UNBIND {
                    map.remove(&seq);
                } else {
                    map.insert(
                        seq,
                        Binding {
                            action: action.to_string(),
                            path: path.to_string(),
                            line,
                        },
                    );
                }
            }
        }
        self.check_prefixes()
    }

    /// A sequence whose first keys are bound on their own (in the same
    /// section, or in `[global]`) could never be typed: refuse it.
    fn check_prefixes(&self) -> Result<(), KeymapError> {
        let empty = BTreeMap::new();
        let global = self.sections.get("global").unwrap_or(&empty);
        for (section, map) in &self.sections {
            for (seq, b) in map {
                for n in 1..seq.len() {
                    let prefix = &seq[..n];
                    let hit = map
                        .get(prefix)
                        .map(|p| (section.as_str(), p))
                        .or_else(|| global.get(prefix).map(|p| ("global", p)));
                    if let Some((in_sec, p)) = hit {
                        // Report whichever binding was written later (the user's).
                        let (blame, other) = if (p.path.as_str(), p.line)
                            > (b.path.as_str(), b.line)
                            && p.path != "keymaps/default.toml"
                        {
                            (p, b)
                        } else {
                            (b, p)
                        };
                        return Err(KeymapError {
                            path: blame.path.clone(),
                            line: blame.line,
                            msg: format!(
                                "{} in [{section}] clashes with {} in [{in_sec}] ({} line {}): \
                                 the shorter key would always win",
                                seq_notation(seq),
                                seq_notation(prefix),
                                other.path,
                                other.line
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// What the keys typed so far mean on a screen with `section`: its own
    /// table first, then `[global]`. With `text_mode` (a field or dialog has
    /// the keys) `[global]` keys count only with Ctrl or Alt: plain keys are
    /// typed, and Esc, Enter and arrows belong to the field or dialog.
    pub fn lookup(&self, section: &str, keys: &[Key], text_mode: bool) -> Lookup {
        let mut prefix = false;
        for sec in [section, "global"] {
            let Some(map) = self.sections.get(sec) else {
                continue;
            };
            if text_mode
                && sec == "global"
                && keys.iter().any(|k| {
                    !KeyModifiers::from_bits_truncate(k.mods)
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                        && !matches!(k.code, KeyCodeOrd::F(_))
                })
            {
                continue;
            }
            if let Some(b) = map.get(keys) {
                return Lookup::Action {
                    action: b.action.clone(),
                    section: sec.to_string(),
                };
            }
            if map
                .range(keys.to_vec()..)
                .next()
                .is_some_and(|(k, _)| k.len() > keys.len() && k.starts_with(keys))
            {
                prefix = true;
            }
        }
        if prefix {
            Lookup::Prefix
        } else {
            Lookup::None
        }
    }

    /// (keys, action, description) of one section, grouped by action in the
    /// registry's order.
    pub fn help(&self, section: &str) -> Vec<(String, String, String)> {
        let Some(known) = section_actions(section) else {
            return Vec::new();
        };
        let map = self.sections.get(section);
        known
            .iter()
            .filter_map(|(action, desc)| {
                let keys: Vec<String> = map?
                    .iter()
                    .filter(|(_, b)| b.action == *action)
                    .map(|(k, _)| seq_notation(k))
                    .collect();
                (!keys.is_empty()).then(|| (keys.join(" "), action.to_string(), desc.to_string()))
            })
            .collect()
    }

    /// The shortest key bound to an action (for hints in the status bar).
    pub fn key_for(&self, section: &str, action: &str) -> Option<String> {
        self.sections
            .get(section)?
            .iter()
            .filter(|(_, b)| b.action == action)
            .map(|(k, _)| seq_notation(k))
            .min_by_key(|n| n.chars().count())
    }

    /// The key for an action on a screen, as a person reads it on screen
    /// (`Enter`, `C-s`, `g g`): the screen's own table, then `[global]`.
    /// `None` when the active keymap binds nothing to it.
    pub fn shown_key(&self, section: &str, action: &str) -> Option<String> {
        self.key_for(section, action)
            .or_else(|| self.key_for("global", action))
            .map(|k| plain_notation(&k))
    }

    pub fn count(&self) -> usize {
        self.sections.values().map(|m| m.len()).sum()
    }
}

/// `preset = "vim"` at the top of a user's file: the preset's text.
fn preset_of(path: &str, text: &str) -> Result<Option<&'static str>, KeymapError> {
    let Ok(doc) = DeTable::parse(text) else {
        return Ok(None); // apply() reports the syntax error
    };
    for (k, v) in doc.get_ref().iter() {
        if k.get_ref() != "preset" {
            continue;
        }
        let line = line_of(text, k.span().start);
        return match v.get_ref() {
            DeValue::String(s) if s == "vim" => Ok(Some(VIM_TOML)),
            DeValue::String(s) if s == "default" => Ok(None),
            _ => Err(KeymapError {
                path: path.to_string(),
                line,
                msg: "preset must be \"default\" or \"vim\"".into(),
            }),
        };
    }
    Ok(None)
}

/// The user's keymap file: `DUTYDESK_KEYMAP`, or `keymap.toml` beside the config file.
pub fn user_keymap_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DUTYDESK_KEYMAP") {
        return Some(PathBuf::from(p));
    }
    crate::config::project_dirs().map(|d| d.config_dir().join("keymap.toml"))
}

/// `dutydesk keymap check FILE`: the line to print when the file is good.
pub fn check_file(file: &std::path::Path) -> Result<String, crate::desk::DeskError> {
    use crate::desk::DeskError;
    let text = std::fs::read_to_string(file)
        .map_err(|e| DeskError::Invalid(format!("keymap: {}: {e}", file.display())))?;
    let km = Keymap::with_user(&file.display().to_string(), &text)
        .map_err(|e| DeskError::Invalid(format!("keymap: {e}")))?;
    Ok(format!(
        "{}: ok ({} keys active with the defaults)\n",
        file.display(),
        km.count()
    ))
}

/// `dutydesk keymap show`: the active keys (or a file's), by screen.
pub fn show_text(file: Option<std::path::PathBuf>) -> Result<String, crate::desk::DeskError> {
    let km = match file.or_else(user_keymap_path) {
        Some(p) => Keymap::load_file(&p)
            .map_err(|e| crate::desk::DeskError::Invalid(format!("keymap: {e}")))?,
        None => Keymap::builtin(),
    };
    let mut text = String::new();
    for (section, _) in SECTIONS {
        text.push_str(&format!("[{section}]\n"));
        for (keys, action, desc) in km.help(section) {
            text.push_str(&format!("  {keys:<20} {action:<20} {desc}\n"));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    fn k(s: &str) -> Vec<Key> {
        Key::parse_seq(s).unwrap()
    }

    #[test]
    fn embedded_keymaps_load() {
        let mut km = Keymap::default();
        km.apply("keymaps/default.toml", DEFAULT_TOML).unwrap();
        assert!(km.count() > 20);
        Keymap::with_user("user.toml", "preset = \"vim\"\n").unwrap();
    }

    #[test]
    fn notation_matches_events() {
        let ev = |code, m| Key::from_event(&KeyEvent::new(code, m)).unwrap();
        assert_eq!(ev(KeyCode::Char('G'), KeyModifiers::SHIFT), k("G")[0]);
        assert_eq!(ev(KeyCode::Char('s'), KeyModifiers::CONTROL), k("<C-s>")[0]);
        assert_eq!(ev(KeyCode::Enter, KeyModifiers::NONE), k("<CR>")[0]);
        assert_eq!(ev(KeyCode::BackTab, KeyModifiers::SHIFT), k("<S-Tab>")[0]);
        assert_eq!(ev(KeyCode::Char(' '), KeyModifiers::NONE), k("<Space>")[0]);
        assert_eq!(ev(KeyCode::F(5), KeyModifiers::NONE), k("<F5>")[0]);
        assert_eq!(k("g g").len(), 2);
        assert_eq!(k("<C-s>")[0].notation(), "<C-s>");
        assert_eq!(k("<CR>")[0].notation(), "<Enter>");
    }

    #[test]
    fn unknown_action_names_file_line_and_reason() {
        let e = Keymap::with_user("my.toml", "[queue]\n\"x\" = \"open-referal\"\n").unwrap_err();
        assert_eq!(e.path, "my.toml");
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("unknown action \"open-referal\""), "{e}");
        let e = Keymap::with_user("my.toml", "\n[qeue]\n\"x\" = \"quit\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("unknown section [qeue]"), "{e}");
    }

    #[test]
    fn clashing_keys_stop_loading() {
        let e = Keymap::with_user(
            "my.toml",
            "[queue]\n\"<Enter>\" = \"open-referral\"\n\"<CR>\" = \"filter-mine\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.msg.contains("clashes with line 2"), "{e}");
        // A single key that shadows a sequence.
        let e = Keymap::with_user(
            "my.toml",
            "[queue]\n\"g\" = \"filter-mine\"\n\"g g\" = \"select-first\"\n",
        )
        .unwrap_err();
        assert_eq!(e.path, "my.toml");
        assert!(e.msg.contains("the shorter key would always win"), "{e}");
        let e = Keymap::with_user("my.toml", "[queue]\n\"<Tab>\" = \"quit\"\n").unwrap_err();
        assert!(e.msg.contains("unknown action \"quit\" in [queue]"), "{e}");
        let e =
            Keymap::with_user("my.toml", "[queue]\n\"<Ctrl-x>\" = \"filter-mine\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("not a key I know"), "{e}");
    }

    #[test]
    fn user_file_overrides_key_by_key_and_can_unbind() {
        let km = Keymap::with_user(
            "my.toml",
            "[queue]\n\"x\" = \"open-referral\"\n\"m\" = \"none\"\n",
        )
        .unwrap();
        let look = |s: &str| km.lookup("queue", &k(s), false);
        assert!(matches!(look("x"), Lookup::Action { action, .. } if action == "open-referral"));
        assert!(
            matches!(look("<Enter>"), Lookup::Action { action, .. } if action == "open-referral")
        );
        assert_eq!(look("m"), Lookup::None);
        // Global keys apply on every screen, but not while text is typed.
        assert!(matches!(look("q"), Lookup::Action { section, .. } if section == "global"));
        assert_eq!(km.lookup("queue", &k("q"), true), Lookup::None);
        assert_eq!(km.lookup("referral", &k("<Esc>"), true), Lookup::None);
        assert!(
            matches!(km.lookup("referral", &k("<Esc>"), false), Lookup::Action { action, .. } if action == "back")
        );
        assert!(matches!(
            km.lookup("queue", &k("<C-c>"), true),
            Lookup::Action { .. }
        ));
    }

    #[test]
    fn sequences_wait_for_the_next_key() {
        let km = Keymap::with_user("my.toml", "preset = \"vim\"\n").unwrap();
        assert_eq!(km.lookup("queue", &k("g"), false), Lookup::Prefix);
        assert!(
            matches!(km.lookup("queue", &k("g g"), false), Lookup::Action { action, .. } if action == "select-first")
        );
    }

    #[test]
    fn every_registered_action_has_a_default_key() {
        let km = Keymap::builtin();
        for (section, f) in SECTIONS {
            for (action, _) in f() {
                assert!(
                    km.key_for(section, action).is_some(),
                    "[{section}] {action} has no key in keymaps/default.toml"
                );
            }
        }
    }
}
