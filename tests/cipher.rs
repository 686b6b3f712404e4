//! Encryption at rest (cargo feature `sqlcipher`): run with
//! `cargo test --features sqlcipher --test cipher`.
#![cfg(feature = "sqlcipher")]

use std::path::Path;
use std::process::Command as Proc;

use dutydesk::store::{OpenOptions, Store, StoreError};

fn key(k: &str) -> OpenOptions {
    OpenOptions {
        group: None,
        key: Some(k.into()),
        ..Default::default()
    }
}

fn header(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()[..16].to_vec()
}

#[test]
fn an_encrypted_file_needs_its_key_and_says_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("secret.db");
    let t0 = std::time::Instant::now();
    {
        let mut s = Store::open_opts(&db, &key("correct horse battery")).unwrap();
        s.write(|c| {
            c.execute_batch("INSERT INTO teams (name) VALUES ('North')")
                .map_err(StoreError::from)
        })
        .unwrap();
    }
    eprintln!("create + key derivation: {:?}", t0.elapsed());
    assert_ne!(header(&db), b"SQLite format 3\0");
    assert!(matches!(
        Store::open_opts(&db, &key("wrong")),
        Err(StoreError::WrongKey)
    ));
    assert!(matches!(
        Store::open_opts(&db, &OpenOptions::default()),
        Err(StoreError::NeedsKey)
    ));
    let t0 = std::time::Instant::now();
    let s = Store::open_opts(&db, &key("correct horse battery")).unwrap();
    eprintln!("open with the right key: {:?}", t0.elapsed());
    // The backup is encrypted with the same key and verifies.
    let copy = dir.path().join("copy.db");
    s.backup_to(&copy).unwrap();
    assert_ne!(header(&copy), b"SQLite format 3\0");
    assert!(matches!(
        Store::open_opts(&copy, &OpenOptions::default()),
        Err(StoreError::NeedsKey)
    ));
    let c = Store::open_opts(&copy, &key("correct horse battery")).unwrap();
    assert_eq!(c.integrity_check().unwrap(), ["ok"]);
    let n: i64 = c
        .conn()
        .query_row("SELECT COUNT(*) FROM teams", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn the_command_line_takes_the_key_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.db");
    let run = |k: Option<&str>, args: &[&str]| {
        let mut p = Proc::new(env!("CARGO_BIN_EXE_dutydesk"));
        p.args(args)
            .env("DUTYDESK_DB", &db)
            .env("DUTYDESK_USER", "mgr")
            .env("DUTYDESK_CONFIG", dir.path().join("none.toml"))
            .env_remove("DUTYDESK_KEY");
        if let Some(k) = k {
            p.env("DUTYDESK_KEY", k);
        }
        p.output().unwrap()
    };
    let o = run(
        Some("a long team passphrase"),
        &["init", "--training", "--team", "North"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_ne!(header(&db), b"SQLite format 3\0");
    let o = run(Some("a long team passphrase"), &["verify"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("chain whole"));
    let o = run(Some("not it"), &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    // One clear line, and nothing from SQLCipher's own logging.
    assert_eq!(
        err.trim(),
        "dutydesk: wrong key: the database could not be read with the key given"
    );
    let o = run(None, &["verify"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("DUTYDESK_KEY"));
}
