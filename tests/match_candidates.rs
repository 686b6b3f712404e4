//! The store's re-referral candidates (`store::child_candidates`) against a
//! scan of every child in Rust: the same children in the same order, for
//! the cases a faster query could lose (a misspelt name, an address only, a
//! date of birth only, a sibling at the same address), with a small cap so
//! that the cap and the order of the queries (every term, all but one, any)
//! are exercised; and the desk still shows those children.

mod support;

use chrono::{Duration, NaiveDate};

use dutydesk::domain::matching::{search_terms, Probe};
use dutydesk::domain::time::parse_date;
use dutydesk::store::{self, Child};
use support::{t0, Harness};

fn seeded() -> Harness {
    let mut h = Harness::new(t0());
    let at = t0() - Duration::days(200);
    let rows: &[(&str, Option<&str>, &str)] = &[
        ("Amara Osei", Some("22/11/2019"), "Flat 3, 12 Mill Lane"),
        ("Kwame Osei", Some("04/02/2017"), "Flat 3, 12 Mill Lane"),
        ("Amara Osei", Some("05/06/2012"), "40 Park Avenue"),
        ("Amara Smith", Some("22/11/2019"), "7 Mill Lane"),
        ("Tamara Jones", None, "12 Mill Lane"),
        ("Mara Osei", Some("22/11/2019"), "3 Church Road"),
        ("Rosie Amara", Some("01/01/2020"), "1 Millbrook Close"),
        ("Anne Nowak", Some("01/03/2018"), "9 Elm Grove"),
        ("Oliver Smith", Some("14/02/2016"), "4 High Street"),
        ("Amarah Osie", None, "12 Mill Ln"),
        ("Osei Amara", Some("22/11/2019"), "Flat 3, 12 Mill Lane"),
        ("Amar Patel", Some("22/11/2019"), "5 Mill Road"),
    ];
    for (i, (name, dob, addr)) in rows.iter().enumerate() {
        h.log_earlier(name, *dob, addr, at + Duration::days(i as i64));
    }
    h
}

fn all_children(h: &Harness) -> Vec<Child> {
    let conn = h.desk.store().conn();
    (1..=100)
        .filter_map(|id| store::child_by_id(conn, id).unwrap())
        .collect()
}

/// What `child_candidates` promises, by a scan: children holding every term
/// that occurs anywhere, then (with more than two) all but one in turn, then
/// any, each newest first, at most `limit`; then up to `limit` with the date
/// of birth, by id.
fn by_scan(all: &[Child], terms: &[String], dob: Option<NaiveDate>, limit: usize) -> Vec<i64> {
    let has = |c: &Child, t: &str| {
        [&c.name, &c.address]
            .iter()
            .any(|f| f.as_deref().is_some_and(|f| f.to_lowercase().contains(t)))
    };
    let present: Vec<&str> = terms
        .iter()
        .map(|t| t.as_str())
        .filter(|t| t.chars().count() >= 3 && all.iter().any(|c| has(c, t)))
        .collect();
    let mut sets: Vec<Vec<&str>> = Vec::new();
    if !present.is_empty() {
        sets.push(present.clone());
        if present.len() > 2 {
            for skip in 0..present.len() {
                let mut s = present.clone();
                s.remove(skip);
                sets.push(s);
            }
        }
    }
    let mut newest: Vec<&Child> = all.iter().collect();
    newest.sort_by_key(|c| std::cmp::Reverse(c.id));
    let mut out: Vec<i64> = Vec::new();
    for s in &sets {
        for c in &newest {
            if out.len() < limit && s.iter().all(|t| has(c, t)) && !out.contains(&c.id) {
                out.push(c.id);
            }
        }
    }
    for c in &newest {
        if out.len() < limit && present.iter().any(|t| has(c, t)) && !out.contains(&c.id) {
            out.push(c.id);
        }
    }
    if let Some(d) = dob {
        let mut same: Vec<&Child> = all.iter().filter(|c| c.dob == Some(d)).collect();
        same.sort_by_key(|c| c.id);
        for c in same.into_iter().take(limit) {
            if !out.contains(&c.id) {
                out.push(c.id);
            }
        }
    }
    out
}

fn probe(name: Option<&str>, dob: Option<&str>, address: Option<&str>) -> Probe {
    Probe {
        name: name.map(str::to_string),
        dob: dob.map(|d| parse_date(d).unwrap()),
        address: address.map(str::to_string),
    }
}

fn cases() -> Vec<(&'static str, Probe)> {
    vec![
        ("misspelt name", probe(Some("Amarah Osie"), None, None)),
        (
            "misspelt name, address and date of birth",
            probe(Some("Amara Osie"), Some("22/11/2019"), Some("12 Mill Lane")),
        ),
        (
            "address only",
            probe(None, None, Some("Flat 3, 12 Mill Lane")),
        ),
        ("date of birth only", probe(None, Some("22/11/2019"), None)),
        (
            "sibling at the same address",
            probe(Some("Kwame Osei"), None, Some("12 Mill Lane")),
        ),
        ("three letters", probe(Some("Ama"), None, None)),
        ("swapped names", probe(Some("Osei Amara"), None, None)),
        ("nothing on file", probe(Some("Zebedee Quux"), None, None)),
    ]
}

#[test]
fn candidates_are_the_scans_children_in_the_scans_order() {
    let h = seeded();
    let all = all_children(&h);
    assert_eq!(all.len(), 12);
    for limit in [1usize, 2, 3, 5, 200] {
        for (what, p) in cases() {
            let terms = search_terms(&p);
            let got: Vec<i64> =
                store::child_candidates(h.desk.store().conn(), &terms, p.dob, limit as i64)
                    .unwrap()
                    .iter()
                    .map(|c| c.id)
                    .collect();
            assert_eq!(
                got,
                by_scan(&all, &terms, p.dob, limit),
                "{what} (limit {limit}, terms {terms:?})"
            );
        }
    }
}

#[test]
fn candidates_bring_whole_rows() {
    let h = seeded();
    let all = all_children(&h);
    let p = probe(Some("Amara Osie"), Some("22/11/2019"), Some("12 Mill Lane"));
    for c in store::child_candidates(h.desk.store().conn(), &search_terms(&p), p.dob, 200).unwrap()
    {
        assert_eq!(Some(&c), all.iter().find(|a| a.id == c.id));
    }
}

fn shown(h: &mut Harness, p: &Probe) -> Vec<String> {
    h.desk
        .matches(p, 5)
        .unwrap()
        .iter()
        .map(|m| m.child.name.clone().unwrap_or_default())
        .collect()
}

#[test]
fn the_desk_shows_the_child_for_each_case() {
    let mut h = seeded();
    let misspelt = shown(
        &mut h,
        &probe(Some("Amarah Osie"), Some("22/11/2019"), None),
    );
    assert_eq!(
        misspelt.first().map(String::as_str),
        Some("Amara Osei"),
        "{misspelt:?}"
    );
    let addr = shown(&mut h, &probe(None, None, Some("Flat 3, 12 Mill Lane")));
    assert!(addr.iter().any(|n| n == "Amara Osei"), "{addr:?}");
    // The sibling at the same address comes with the address alone.
    assert!(addr.iter().any(|n| n == "Kwame Osei"), "{addr:?}");
    let dob = shown(&mut h, &probe(None, Some("22/11/2019"), None));
    assert!(dob.iter().any(|n| n == "Amara Osei"), "{dob:?}");
    let sib = shown(
        &mut h,
        &probe(Some("Kwame Osei"), None, Some("12 Mill Lane")),
    );
    assert_eq!(
        sib.first().map(String::as_str),
        Some("Kwame Osei"),
        "{sib:?}"
    );
}

/// The desk keeps the index's hits from one keystroke for the next; a child
/// written in between, by the same desk or through another connection, must
/// still be found by the same terms.
#[test]
fn a_child_written_between_keystrokes_is_found() {
    let mut h = seeded();
    let p = probe(Some("Efua Mensah"), None, Some("8 Mill Lane"));
    let ids = |m: Vec<dutydesk::desk::ChildMatch>| m.iter().map(|m| m.child.id).collect::<Vec<_>>();
    assert!(ids(h.desk.matches(&p, 5).unwrap()).is_empty());
    assert!(ids(h.client.matches(&p, 5).unwrap()).is_empty());
    // The same terms again, nothing written: still nothing.
    assert!(ids(h.desk.matches(&p, 5).unwrap()).is_empty());
    let (efua, _) = h.log_earlier("Efua Mensah", None, "8 Mill Lane", t0() - Duration::days(1));
    // Written by this desk's own connection.
    assert_eq!(ids(h.desk.matches(&p, 5).unwrap()), vec![efua]);
    // Written through another connection (the client's is its own).
    assert_eq!(ids(h.client.matches(&p, 5).unwrap()), vec![efua]);
    // A date of birth typed: the kept hits and the children born that day.
    let with_dob = probe(Some("Efua Mensah"), Some("22/11/2019"), Some("8 Mill Lane"));
    let got = ids(h.desk.matches(&with_dob, 5).unwrap());
    assert_eq!(got.first(), Some(&efua), "{got:?}");
    let (efua2, _) = h.log_earlier("Efua Mensah", Some("22/11/2019"), "8 Mill Lane", t0());
    let got = ids(h.desk.matches(&with_dob, 5).unwrap());
    assert_eq!(got.first(), Some(&efua2), "{got:?}");
}

/// A child's date of birth recorded leaves the name search's rows as they
/// were (migration 0017: no delete and insert of the same name and address
/// in the trigram index); a name or an address changed rewrites them, so the
/// child is found by the new one and not the old.
#[test]
fn the_name_search_is_rewritten_only_when_a_name_or_address_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = store::Store::open(&dir.path().join("fts.db")).unwrap();
    let found = |st: &store::Store, words: &[&str]| -> Vec<i64> {
        let terms: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        store::child_candidates(st.conn(), &terms, None, 10)
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect()
    };
    let id = st
        .write(|c| {
            store::insert_child(
                c,
                &store::NewChild {
                    name: Some("Amara Osei".into()),
                    dob: None,
                    dob_approx_years: Some(6),
                    expected_date: None,
                    address: Some("12 Mill Lane".into()),
                    first_language: None,
                    interpreter_needed: false,
                },
                t0(),
            )
        })
        .unwrap();
    assert_eq!(found(&st, &["osei"]), [id]);
    let mut child = store::child_by_id(st.conn(), id).unwrap().unwrap();
    child.dob = Some(NaiveDate::from_ymd_opt(2020, 3, 1).unwrap());
    child.dob_approx_years = None;
    child.first_language = Some("Twi".into());
    let before = st.conn().total_changes();
    st.write(|c| store::update_child(c, &child)).unwrap();
    let same_name = st.conn().total_changes() - before;
    assert_eq!(found(&st, &["osei"]), [id]);
    assert_eq!(found(&st, &["mill"]), [id]);

    child.name = Some("Amara Mensah".into());
    let before = st.conn().total_changes();
    st.write(|c| store::update_child(c, &child)).unwrap();
    let new_name = st.conn().total_changes() - before;
    // The same write (the child's row, its seal) and, for the new name
    // only, the index's old entry out and the new one in (its shadow
    // tables' rows: without migration 0017 both writes changed 10 rows).
    assert!(new_name > same_name, "{same_name} {new_name}");
    assert_eq!(found(&st, &["mensah"]), [id]);
    assert!(found(&st, &["osei"]).is_empty());

    child.address = Some("3 Church Road".into());
    st.write(|c| store::update_child(c, &child)).unwrap();
    assert_eq!(found(&st, &["church"]), [id]);
    assert!(found(&st, &["mill"]).is_empty());
}

/// A call logged about a child already on file (`existing_child_id`), as
/// `desk` (its own connection).
fn log_again(desk: &mut dutydesk::desk::Desk, child: &Child, at: chrono::DateTime<chrono::Utc>) {
    use dutydesk::desk::{CallInput, ChildInput, Command, ReferrerInput};
    desk.execute(
        Command::LogCall(CallInput {
            children: vec![ChildInput {
                existing_child_id: Some(child.id),
                name: child.name.clone(),
                address: child.address.clone(),
                ..Default::default()
            }],
            concern: "a later concern".into(),
            referrer: ReferrerInput {
                source: Some("2A".into()),
                ..Default::default()
            },
            received_at: Some(at),
            ..Default::default()
        }),
        at,
    )
    .unwrap();
}

/// The call form's probes while a name, an address and a date of birth are
/// typed one character at a time.
fn typing(name: &str, address: &str, dob: &str) -> Vec<Probe> {
    let mut out = Vec::new();
    for i in 1..=name.len() {
        out.push(probe(Some(name[..i].trim()), None, None));
    }
    for i in 1..=address.len() {
        out.push(probe(Some(name), None, Some(address[..i].trim())));
    }
    out.push(probe(Some(name), Some(dob), Some(address)));
    out
}

/// The desk keeps what one keystroke read for the next while the file is
/// unchanged (the index's hits, each candidate's normalised name and
/// address, each shown child's referrals, sibling links and household).
/// Typed through one desk, every keystroke's answer is the one a desk asked
/// for the first time gives; typed again, the same; and a referral logged
/// for a shown child between keystrokes, through this desk or another
/// connection, is in the next answer.
#[test]
fn kept_reads_answer_as_a_fresh_desk_would_and_follow_writes() {
    let mut h = seeded();
    let path = h.dir.path().join("desk.db");
    let fresh = |p: &Probe| {
        let mut d =
            dutydesk::desk::Desk::new(store::Store::open(&path).unwrap(), support::actor("hbell"))
                .with_clock(Box::new(dutydesk::desk::FixedClock(t0())));
        d.matches(p, 5).unwrap()
    };
    let keys = typing("Amara Osie", "12 Mill Lane", "22/11/2019");
    let mut answers = Vec::new();
    for p in &keys {
        let kept = h.desk.matches(p, 5).unwrap();
        assert_eq!(kept, fresh(p), "{p:?}");
        answers.push(kept);
    }
    assert!(answers.iter().any(|a| !a.is_empty()));
    for (p, first) in keys.iter().zip(&answers) {
        assert_eq!(&h.desk.matches(p, 5).unwrap(), first, "typed again: {p:?}");
    }

    let full = keys.last().unwrap();
    let top = h.desk.matches(full, 5).unwrap()[0].clone();
    let before = top.referrals.len();
    // Through this desk's own connection.
    log_again(&mut h.desk, &top.child, t0() - Duration::days(2));
    let again = h.desk.matches(full, 5).unwrap();
    let now_top = again.iter().find(|m| m.child.id == top.child.id).unwrap();
    assert_eq!(now_top.referrals.len(), before + 1);
    assert_eq!(again, fresh(full));
    // Through another connection.
    let mut other =
        dutydesk::desk::Desk::new(store::Store::open(&path).unwrap(), support::actor("hbell"))
            .with_clock(Box::new(dutydesk::desk::FixedClock(t0())));
    log_again(&mut other, &top.child, t0() - Duration::days(1));
    let again = h.desk.matches(full, 5).unwrap();
    let now_top = again.iter().find(|m| m.child.id == top.child.id).unwrap();
    assert_eq!(now_top.referrals.len(), before + 2);
    assert_eq!(again, fresh(full));
}
