//! The layers of DESIGN.md, Architecture, kept honest: every `crate::`
//! path in `src/` is read, and an arrow outside the table fails the build.
//!
//! domain   pure rules: imports nothing of ours
//! config   the personal config file: domain
//! outfile  the one way to make an output file: domain
//! store    the only SQL: outfile, domain
//! desk     the service (one door, the permission table): store, domain
//! session  the environment, opening the desk: desk, store, domain, config
//! cli, tui build requests and show answers: desk, domain, config, session
//!          (cli also writes --out files through outfile; never store,
//!          never each other)
//! serve    the server: desk, store, domain, config, session
//! entry    parse and dispatch: everything above

use std::path::Path;

/// The layers each layer may use.
fn allowed(from: &str) -> &'static [&'static str] {
    match from {
        "domain" => &["domain"],
        "config" => &["config", "domain"],
        "outfile" => &["outfile", "domain"],
        "store" => &["store", "outfile", "domain"],
        "desk" => &["desk", "store", "domain", "config"],
        "session" => &["session", "desk", "store", "domain", "config"],
        "cli" => &["cli", "desk", "domain", "config", "session", "outfile"],
        "tui" => &["tui", "desk", "domain", "config", "session"],
        "serve" => &["serve", "desk", "store", "domain", "config", "session"],
        "entry" => &["entry", "cli", "tui", "serve", "session", "config", "desk"],
        other => panic!("{other} is not a layer in DESIGN.md: add it to this table"),
    }
}

/// The layer a source file belongs to (`src/tui/app.rs` → `tui`).
fn layer_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    match first.as_str() {
        "lib.rs" | "main.rs" => None,
        f => Some(f.trim_end_matches(".rs").to_string()),
    }
}

/// Every layer a line of code reaches through `crate::…` (a `use` line, a
/// path in an expression, or a `use crate::{a, b}` group).
fn arrows(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            for part in group.split([',', '}']) {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

fn violations(rel: &Path, text: &str) -> Vec<String> {
    let Some(layer) = layer_of(rel) else {
        return Vec::new();
    };
    let ok = allowed(&layer);
    let mut v = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for to in arrows(line) {
            if !ok.contains(&to.as_str()) {
                v.push(format!(
                    "{}:{}: {layer} -> {to}: {}",
                    rel.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    v
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_arrow_between_layers_is_in_the_design() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 30, "found the sources");
    let mut all = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        all.extend(violations(rel, &std::fs::read_to_string(f).unwrap()));
    }
    assert!(
        all.is_empty(),
        "arrows outside DESIGN.md's layering:\n{}",
        all.join("\n")
    );
}

#[test]
fn a_store_import_in_the_screens_or_a_screen_import_in_the_cli_is_caught() {
    let tui = Path::new("tui/queue.rs");
    assert_eq!(violations(tui, "use crate::store::Staff;").len(), 1);
    assert_eq!(
        violations(tui, "let s = crate::store::list_teams(c);").len(),
        1
    );
    assert_eq!(violations(tui, "use crate::{desk, store};").len(), 1);
    assert_eq!(
        violations(Path::new("cli/mod.rs"), "use crate::tui::app;").len(),
        1
    );
    assert_eq!(
        violations(Path::new("domain/x.rs"), "use crate::desk::Desk;").len(),
        1
    );
    // What is allowed passes, and comments are not code.
    assert!(violations(tui, "use crate::desk::{Client, QueueRow};").is_empty());
    assert!(violations(tui, "// crate::store is out of bounds here").is_empty());
}
