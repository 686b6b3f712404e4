//! Printing records as a table, JSON or CSV.

use std::io::Write;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// Rows of text cells under headers.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Aligned columns; record text is already cleaned of control characters.
    pub fn to_text(&self) -> String {
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if i < w.len() {
                    w[i] = w[i].max(c.chars().count().min(60));
                }
            }
        }
        let line = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let c = inert(c);
                let cut: String = if c.chars().count() > 60 {
                    c.chars().take(59).chain(['…']).collect()
                } else {
                    c
                };
                if i + 1 == cells.len() {
                    s.push_str(&cut);
                } else {
                    let pad = w[i].saturating_sub(cut.chars().count());
                    s.push_str(&cut);
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            s.trim_end().to_string()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }

    /// RFC 4180 CSV. Cells that a spreadsheet would run as a formula get a
    /// leading apostrophe.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        for r in std::iter::once(&self.headers).chain(self.rows.iter()) {
            let cells: Vec<String> = r.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

pub use crate::domain::validate::{inert, inert_keep_newlines};

/// A refused output name is bad input (exit 2, nothing written); a failed
/// write is an I/O error (exit 1).
impl From<crate::outfile::OutFileError> for crate::desk::DeskError {
    fn from(e: crate::outfile::OutFileError) -> Self {
        use crate::outfile::OutFileError;
        match e {
            OutFileError::Refused(m) => crate::desk::DeskError::Invalid(m),
            OutFileError::Failed(m) => {
                crate::desk::DeskError::Store(crate::desk::StoreError::Io(m))
            }
        }
    }
}

/// Writes `bytes` to standard output, or to the new file `out` (made by
/// [`crate::outfile`]: refused if the name exists in any form).
pub fn to_out(
    out: Option<crate::outfile::NewFile>,
    bytes: &[u8],
) -> Result<(), crate::desk::DeskError> {
    match out {
        Some(mut f) => {
            f.write_all(bytes)?;
            f.commit()?;
            Ok(())
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes).and_then(|()| o.flush()).map_err(|e| {
                crate::desk::DeskError::Store(crate::desk::StoreError::Io(e.to_string()))
            })
        }
    }
}

/// The new output file for `--out`, made before any work so a refused name
/// costs nothing and changes nothing.
pub fn new_out(
    path: Option<&std::path::Path>,
) -> Result<Option<crate::outfile::NewFile>, crate::desk::DeskError> {
    Ok(path.map(crate::outfile::NewFile::create).transpose()?)
}

pub fn csv_cell(s: &str) -> String {
    let mut s = inert(s);
    if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        s.insert(0, '\'');
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// How much output is gathered before one `write`: a screenful or more, so
/// a whole queue is a few dozen writes, not one per line (standard output
/// is line-buffered: `queue --format json` made 243,401 writes at 1M).
pub const OUT_BUF: usize = 64 * 1024;

/// Prints a value as JSON, or a table as text or CSV.
pub fn print<T: Serialize>(
    format: Format,
    value: &T,
    table: impl FnOnce() -> Table,
) -> std::io::Result<()> {
    print_to(std::io::stdout().lock(), format, value, table)
}

/// As [`print`], into any writer, through one buffer of [`OUT_BUF`] bytes.
pub fn print_to<W: Write, T: Serialize>(
    w: W,
    format: Format,
    value: &T,
    table: impl FnOnce() -> Table,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(OUT_BUF, w);
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, value)?;
            writeln!(out)?;
        }
        Format::Table => out.write_all(table().to_text().as_bytes())?,
        Format::Csv => out.write_all(table().to_csv().as_bytes())?,
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-12"), "-12");
        assert_eq!(csv_cell("\u{1b}[2J"), "\u{fffd}[2J");
    }

    /// Counts the writes that reach it, as `strace -c` would count syscalls.
    struct Counting<'a>(&'a mut Vec<usize>);
    impl Write for Counting<'_> {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.push(b.len());
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_of_a_long_list_is_written_in_a_few_large_writes() {
        #[derive(Serialize)]
        struct Row {
            action_id: i64,
            child: &'static str,
            overdue: bool,
        }
        let rows: Vec<Row> = (0..5_000)
            .map(|i| Row {
                action_id: i,
                child: "Amara Osei",
                overdue: i % 2 == 0,
            })
            .collect();
        let mut writes = Vec::new();
        print_to(Counting(&mut writes), Format::Json, &rows, Table::default).unwrap();
        let bytes: usize = writes.iter().sum();
        assert!(bytes > 5_000 * 50, "{bytes} bytes");
        // Every write but the last is (nearly) a whole buffer: one write
        // per 64 KiB, not one per line.
        assert!(writes.len() <= bytes / OUT_BUF + 2, "{writes:?}");
        let (_, full) = writes.split_last().unwrap();
        assert!(full.iter().all(|&n| n > OUT_BUF - 256), "{writes:?}");
        let mut text = Vec::new();
        print_to(&mut text, Format::Json, &rows, Table::default).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(back.as_array().unwrap().len(), 5_000);
    }

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(&["id", "child"]);
        t.row(vec!["1".into(), "Amara".into()]);
        t.row(vec!["100".into(), "Bo".into()]);
        assert_eq!(t.to_text(), "id   child\n1    Amara\n100  Bo\n");
    }
}

/// A spinner on stderr for a command that is still working after a second
/// (a year's report over a large file, the census return, a backup, a
/// verify). Nothing shows for a quick command or when stderr is not a
/// terminal; dropping it clears the line.
pub struct Busy {
    done: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Busy {
    pub fn start(what: &str) -> Busy {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let what = what.to_string();
        let thread = std::thread::spawn(move || {
            if rx.recv_timeout(std::time::Duration::from_secs(1)).is_ok() {
                return;
            }
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(format!("{what}…"));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let _ = rx.recv();
            bar.finish_and_clear();
        });
        Busy {
            done: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod busy_tests {
    use super::Busy;

    #[test]
    fn a_quick_command_ends_its_spinner_at_once() {
        let t0 = std::time::Instant::now();
        drop(Busy::start("nothing much"));
        assert!(t0.elapsed() < std::time::Duration::from_millis(500));
    }
}
