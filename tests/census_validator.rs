//! The demo database's Children in Need census and the DfE's own validator
//! (`csc-validator-be-cin` from PyPI, module `cin_validator`) agree, for
//! every year the pinned validator knows that the demo covers (2025-26 and
//! 2026-27): no errors, and every query the validator raises is also in
//! `census --check`, child by child, with the same rule. For 2025-26 the
//! demo is clean outright.
//!
//! Uses `DUTYDESK_CIN_PYTHON` (a Python with the validator installed) when
//! set; otherwise makes a virtual environment under the target directory the
//! first time (`python3 -m venv`, then pip installs the pinned validator).

use std::path::Path;
use std::process::Command;

const RULESET: &str = "cin2025_26";
/// Each census year and the validator's ruleset for it.
const YEARS: &[(&str, &str)] = &[("2025-26", "cin2025_26"), ("2026-27", "cin2026_27")];
const NOW: &str = "2026-04-20T10:00:00Z";

/// Runs every rule of the ruleset through the validator's API and reports
/// child-level issues, return-level (LA and header) issues, and rules that
/// crashed; `python -m cin_validator run` prints only the first kind.
const ALL_ISSUES: &str = r#"
import sys, warnings, importlib, io, contextlib
warnings.filterwarnings("ignore")
import xml.etree.ElementTree as ET
from cin_validator import cin_validator as cv
root = ET.parse(sys.argv[1]).getroot()
data = cv.process_data(cv.convert_data(root))
reg = importlib.import_module("cin_validator.rules." + sys.argv[2]).registry
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    v = cv.CinValidator(data, reg)
crashed = [l for l in buf.getvalue().splitlines() if l.startswith("Error with rule")]
child = v.full_issue_df
multi = v.multichild_issues
print("rules run:", len(reg))
for cid, code in zip(child["child_id"], child["rule_code"]):
    print("ISSUE", cid, code)
print("child-level issues:", len(child))
if len(child):
    print(child[["child_id", "rule_code", "tables_affected", "columns_affected"]].to_string())
print("return-level issues:", len(multi))
if len(multi):
    print(multi.to_string())
print("rules that crashed:", len(crashed))
for l in crashed:
    print(l)
sys.exit(1 if (len(child) or len(multi) or crashed) else 0)
"#;

fn dutydesk(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dutydesk"))
        .args(args)
        .env("DUTYDESK_DB", db)
        .env("DUTYDESK_NOW", NOW)
        .env("DUTYDESK_USER", "tester")
        .env_remove("DUTYDESK_CONFIG")
        .output()
        .expect("run dutydesk")
}

/// The pinned validator and what it needs (its `__main__` imports pytest).
const PIP_PACKAGES: &[&str] = &["csc-validator-be-cin==0.1.13", "numpy<2", "pytest==9.2.0"];

/// A Python with the validator: `DUTYDESK_CIN_PYTHON`, or a virtual
/// environment this test makes once under the target directory (needs
/// `python3` with `venv` and access to PyPI).
fn python() -> String {
    static PY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PY.get_or_init(|| {
        if let Ok(p) = std::env::var("DUTYDESK_CIN_PYTHON") {
            if !p.trim().is_empty() {
                return p;
            }
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cin-venv");
        let py = venv.join("bin/python");
        let ready = venv.join(".ready");
        if !ready.exists() {
            let made = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 is needed to run the DfE validator");
            assert!(made.success(), "python3 -m venv failed");
            let pip = Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(PIP_PACKAGES)
                .status()
                .unwrap();
            assert!(pip.success(), "pip install {PIP_PACKAGES:?} failed");
            std::fs::write(&ready, PIP_PACKAGES.join("\n")).unwrap();
        }
        py.display().to_string()
    })
    .clone()
}

#[test]
fn demo_census_passes_the_dfe_validator() {
    let py = python();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = dutydesk(&db, &["demo", "--referrals", "1500", "--seed", "7"]);
    assert!(
        out.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The data-quality list is empty for the demo.
    let check = dutydesk(&db, &["census", "--check", "--year", "2025-26"]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success());
    assert!(text.contains("nothing missing or contradictory"), "{text}");

    for (year, ruleset) in YEARS {
        agree_for_year(&py, &db, dir.path(), year, ruleset);
    }
}

/// Exports one year, runs every rule of its ruleset, and checks the
/// validator raises nothing that `census --check` did not report.
fn agree_for_year(py: &str, db: &Path, dir: &Path, year: &str, ruleset: &str) {
    let xml = dir.join(format!("cin-{year}.xml"));
    let out = dutydesk(
        db,
        &[
            "census",
            "--year",
            year,
            "--la",
            "380",
            "--out",
            xml.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "census {year}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = std::fs::read_to_string(&xml).unwrap();
    assert!(body.matches("<Child>").count() > 100, "{year}");
    assert!(body.contains("<Assessments>") && body.contains("<Section47>"));
    let end = format!("20{}-03-31", &year[5..]);
    assert!(body.contains(&format!("<ReferenceDate>{end}</ReferenceDate>")));

    // What the desk's own check reports, by child and rule.
    let check = dutydesk(
        db,
        &["census", "--check", "--year", year, "--format", "csv"],
    );
    assert!(check.status.success(), "{year}");
    let csv = String::from_utf8_lossy(&check.stdout);
    let mut reported = std::collections::BTreeSet::new();
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.splitn(5, ',').collect();
        reported.insert((cells[1].to_string(), cells[3].to_string()));
    }

    // Every rule, including the header and whole-return ones `run` does not print.
    let all = Command::new(py)
        .arg("-c")
        .arg(ALL_ISSUES)
        .arg(&xml)
        .arg(ruleset)
        .output()
        .expect("run the validator API");
    let report = String::from_utf8_lossy(&all.stdout);
    let rules: usize = report
        .lines()
        .find_map(|l| l.strip_prefix("rules run: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "rule count for {year}:\n{report}{}",
                String::from_utf8_lossy(&all.stderr)
            )
        });
    assert!(rules >= 100, "only {rules} rules ran for {year}:\n{report}");
    assert!(
        report.contains("return-level issues: 0") && report.contains("rules that crashed: 0"),
        "{year}:\n{report}"
    );
    let issues: Vec<(String, String)> = report
        .lines()
        .filter_map(|l| l.strip_prefix("ISSUE "))
        .map(|l| {
            let (c, r) = l.split_once(' ').unwrap();
            (c.to_string(), r.trim().to_string())
        })
        .collect();
    let errors: Vec<_> = issues.iter().filter(|(_, r)| !r.ends_with('Q')).collect();
    assert!(errors.is_empty(), "{year}: DfE errors {errors:?}\n{report}");
    let missed: Vec<_> = issues.iter().filter(|i| !reported.contains(*i)).collect();
    assert!(
        missed.is_empty(),
        "{year}: the validator queries {missed:?}, which `census --check` did not report:\n{csv}"
    );
    if year == "2025-26" {
        assert!(issues.is_empty(), "{year}:\n{report}");
        assert!(reported.is_empty(), "{year}:\n{csv}");
        // The validator's own command line: an empty issue table.
        let run = Command::new(py)
            .args(["-W", "ignore", "-m", "cin_validator", "run"])
            .arg(&xml)
            .args(["-r", ruleset])
            .output()
            .expect("run the validator");
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "validator failed: {}{}",
            stdout,
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(
            stdout.contains("Empty DataFrame") && !stdout.contains("Error with rule"),
            "the validator reports issues:\n{stdout}"
        );
    }
}

#[test]
fn a_broken_return_is_caught_by_the_same_harness() {
    // The harness can fail: a return missing a child's sex and ethnicity.
    let py = python();
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("bad.xml");
    std::fs::write(
        &xml,
        "<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2026</Year>\
         <ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L\
         </SourceLevel><LEA>380</LEA></Source></Header><Children><Child><ChildIdentifiers>\
         <LAchildID>DD00000001</LAchildID><UPNunknown>UN1</UPNunknown><PersonBirthDate>\
         2024-01-01</PersonBirthDate></ChildIdentifiers><ChildCharacteristics>\
         <Disabilities><Disability>NONE</Disability></Disabilities></ChildCharacteristics>\
         <CINdetails><CINreferralDate>2025-06-02</CINreferralDate><ReferralSource>6\
         </ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode><ReferralNFA>0</ReferralNFA>\
         </CINdetails></Child></Children></Message>",
    )
    .unwrap();
    let all = Command::new(&py)
        .arg("-c")
        .arg(ALL_ISSUES)
        .arg(&xml)
        .arg(RULESET)
        .output()
        .expect("run the validator API");
    let report = String::from_utf8_lossy(&all.stdout);
    assert!(!all.status.success(), "{report}");
    assert!(
        report.contains("4180") && report.contains("4220"),
        "{report}"
    );
}
