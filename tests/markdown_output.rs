//! The desk's Markdown (handover, chronology `--format md`, letters) carries
//! text from a person as text: rendered (GFM tables, as a paper file is made)
//! it yields no element the desk did not write itself (no script, image,
//! link, bold), and a note with a line break stays in its one table cell.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pulldown_cmark::{html, Options, Parser};

const NOW: &str = "2026-11-20T14:00:00Z";

/// Typed by a careless or hostile user: HTML, a link, an image, an entity,
/// a pipe, line breaks, a line that would start a heading, a list, a quote.
const HOSTILE: &str = "<script>alert('x')</script> & &lt;b&gt;\n\
    [link](http://evil.example) | piped ![img](http://evil.example/i.png)\n\
    # heading a@b.c <img src=x onerror=alert(1)>\n\
    - item\n\
    > quote `code` **bold**";

fn dd(db: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_CONFIG", db.with_extension("no-config.toml"))
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", user)
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A desk where a child's name, a colleague's name, the referrer and a
/// note all carry markup.
fn desk(dir: &Path) -> PathBuf {
    let db = dir.join("desk.sqlite3");
    ok(dd(
        &db,
        "boss",
        &["init", "--training", "--team", "North Duty", "--name", "Bo"],
    ));
    ok(dd(
        &db,
        "boss",
        &[
            "staff",
            "add",
            "dw",
            "--name",
            "<b>Dee</b> | [W](http://evil.example)",
            "--role",
            "duty_worker",
        ],
    ));
    ok(dd(
        &db,
        "boss",
        &[
            "call",
            "--child-name",
            "<i>Amara</i> [Osei](javascript:alert(1))",
            "--address",
            "1 Mill Lane",
            "--concern",
            "bruising",
            "--source",
            "2A",
            "--referrer-name",
            "<script>alert(2)</script> Ms [Rivers](http://evil.example)",
            "--received-at",
            "2026-11-20T13:00:00Z",
        ],
    ));
    ok(dd(
        &db,
        "boss",
        &["referral", "note", "1", "--text", HOSTILE],
    ));
    ok(dd(
        &db,
        "boss",
        &["referral", "decide", "1", "--decision", "assessment"],
    ));
    ok(dd(
        &db,
        "boss",
        &["handover", "give", "--to", "dw", "--notes", HOSTILE],
    ));
    db
}

fn render(md: &str) -> String {
    let mut out = String::new();
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    html::push_html(&mut out, Parser::new_ext(md, opts));
    out
}

/// Every element name in the HTML.
fn elements(html: &str) -> Vec<String> {
    let mut v: Vec<String> = html
        .split('<')
        .skip(1)
        .map(|t| {
            t.trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Only what the desk's own Markdown makes.
fn assert_only_the_desks_markup(what: &str, md: &str, allowed: &[&str]) {
    let html = render(md);
    for e in elements(&html) {
        assert!(
            allowed.contains(&e.as_str()),
            "{what}: <{e}> came out of the Markdown:\n{md}\n{html}"
        );
    }
    for bad in ["<script", "<img", "<a ", "<b>", "<i>", "<code", "href="] {
        assert!(!html.contains(bad), "{what}: {bad} in\n{html}");
    }
    // What was typed reaches the page as text.
    assert!(html.contains("&lt;script&gt;alert("), "{what}: {html}");
}

/// The cells of one Markdown table row (escaped pipes kept inside cells).
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.last_mut().unwrap().push(c);
                if let Some(n) = chars.next() {
                    out.last_mut().unwrap().push(n);
                }
            }
            '|' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

#[test]
fn a_handover_note_with_markup_and_line_breaks_is_inert_text_in_one_cell() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    let md = ok(dd(&db, "boss", &["handover", "show", "1"]));
    // The whole note is on one line: a row of the notes table, two cells.
    let rows: Vec<&str> = md.lines().filter(|l| l.contains("alert('x')")).collect();
    assert_eq!(rows.len(), 1, "{md}");
    let c = cells(rows[0]);
    assert_eq!(c.len(), 2, "{c:?}");
    assert_eq!(c[0], "boss");
    assert!(
        c[1].contains(" ↵ "),
        "line breaks shown as a mark: {}",
        c[1]
    );
    for typed in ["piped", "heading", "item", "quote"] {
        assert!(c[1].contains(typed), "{typed} left its cell: {}", c[1]);
    }
    assert_only_the_desks_markup(
        "handover",
        &md,
        &[
            "h1", "h2", "ul", "li", "p", "table", "thead", "tbody", "tr", "th", "td", "hr",
        ],
    );
    // Rendered: the note is one <td>, holding every line as typed.
    let html = render(&md);
    let td = html
        .split("<td>")
        .find(|t| t.contains("alert(&#39;x&#39;)") || t.contains("alert('x')"))
        .unwrap()
        .split("</td>")
        .next()
        .unwrap()
        .to_string();
    for typed in [
        "&lt;script&gt;",
        "[link](http://evil.example) | piped",
        "# heading a@b.c &lt;img src=x onerror=alert(1)&gt;",
        "- item",
        "&gt; quote `code` **bold**",
        "&amp; &amp;lt;b&amp;gt;",
    ] {
        assert!(td.contains(typed), "{typed:?} not shown as typed in {td}");
    }
    // The child's and the colleague's names, in the report's own tables.
    assert!(md.contains("&lt;i&gt;Amara&lt;/i&gt; \\[Osei\\]"), "{md}");
    assert!(!md.contains("<b>Dee</b>"), "{md}");
    // Every table row keeps its header's number of cells.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let widths: Vec<usize> = block.lines().map(|l| cells(l).len()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{block}");
    }
}

#[test]
fn the_chronology_for_the_paper_file_keeps_a_note_in_its_cell() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    let md = ok(dd(&db, "boss", &["chronology", "1", "--format", "md"]));
    assert!(
        md.starts_with("# Chronology: &lt;i&gt;Amara&lt;/i&gt;"),
        "{md}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.contains("alert(")).collect();
    assert!(!rows.is_empty(), "{md}");
    for r in rows.iter().filter(|r| r.starts_with('|')) {
        assert_eq!(cells(r).len(), 4, "{r}");
    }
    assert!(md.lines().all(|l| l.chars().count() <= 100), "{md}");
    assert!(
        !md.contains('\u{FFFD}'),
        "a line break is a mark, not U+FFFD: {md}"
    );
    assert_only_the_desks_markup(
        "chronology",
        &md,
        &["h1", "p", "table", "thead", "tbody", "tr", "th", "td"],
    );
}

#[test]
fn letters_keep_the_templates_markup_and_escape_what_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = desk(dir.path());
    for args in [["confirmation", "ack", "1"], ["feedback", "draft", "1"]] {
        let md = ok(dd(&db, "boss", &args));
        let what = args.join(" ");
        // The template's own markup still works.
        let html = render(&md);
        assert!(html.contains("<h1>Referral 1"), "{what}: {html}");
        assert!(html.contains("<strong>1</strong>"), "{what}: {html}");
        assert!(html.contains("<li>phone:"), "{what}: {html}");
        assert_only_the_desks_markup(&what, &md, &["h1", "p", "ul", "li", "strong"]);
        assert!(
            md.contains(
                "Dear &lt;script&gt;alert(2)&lt;/script&gt; Ms \\[Rivers\\](http://evil.example),"
            ),
            "{what}: {md}"
        );
    }
}
