//! Re-referral matches through the desk (FTS5 candidates + domain ranking) on
//! a real store: what the call form shows beside the form.

mod support;

use chrono::Duration;

use dutydesk::desk::ChildMatch;
use dutydesk::domain::matching::Probe;
use dutydesk::domain::time::parse_date;
use support::{t0, Harness};

struct Kids {
    amara: i64,
    amara_older: i64,
    anne: i64,
    oliver: i64,
}

fn desk_with_children() -> Harness {
    Harness::new(t0())
}

fn seed(h: &mut Harness) -> Kids {
    let at = t0() - Duration::days(100);
    let (amara, _) = h.log_earlier("Amara Osei", Some("22/11/2019"), "Flat 3, 12 Mill Lane", at);
    // Seen again later: two referrals for the same child.
    let (amara2, _) = h.log_earlier(
        "Amara Osei",
        Some("22/11/2019"),
        "Flat 3, 12 Mill Lane",
        at + Duration::days(30),
    );
    assert_ne!(amara, amara2, "logged without linking: a second record");
    // A different child with the same name and another date of birth.
    let (amara_older, _) = h.log_earlier("Amara Osei", Some("05/06/2012"), "40 Park Avenue", at);
    let (anne, _) = h.log_earlier("Anne Nowak", Some("01/03/2018"), "9 Elm Grove", at);
    let (oliver, _) = h.log_earlier("Oliver Smith", Some("14/02/2016"), "4 High Street", at);
    Kids {
        amara,
        amara_older,
        anne,
        oliver,
    }
}

fn probe(name: Option<&str>, dob: Option<&str>, address: Option<&str>) -> Probe {
    Probe {
        name: name.map(str::to_string),
        dob: dob.map(|d| parse_date(d).unwrap()),
        address: address.map(str::to_string),
    }
}

fn ids(m: &[ChildMatch]) -> Vec<i64> {
    m.iter().map(|m| m.child.id).collect()
}

fn score_of(m: &[ChildMatch], id: i64) -> u32 {
    m.iter()
        .find(|m| m.child.id == id)
        .map(|m| m.matched.score)
        .unwrap()
}

#[test]
fn misspelt_name_with_date_of_birth_finds_the_child_first() {
    let mut h = desk_with_children();
    let k = seed(&mut h);
    let m = h
        .desk
        .matches(&probe(Some("Amarah Osie"), Some("22/11/2019"), None), 5)
        .unwrap();
    assert_eq!(m[0].child.id, k.amara, "{:?}", ids(&m));
    assert!(m[0]
        .matched
        .reasons
        .iter()
        .any(|r| r == "same date of birth"));
    assert!(m[0]
        .matched
        .reasons
        .iter()
        .any(|r| r.contains("spelt differently")));
    assert!(!ids(&m).contains(&k.oliver));
}

#[test]
fn case_spacing_and_swapped_first_and_last_names() {
    let mut h = desk_with_children();
    let k = seed(&mut h);
    let m = h
        .desk
        .matches(
            &probe(Some("  OSEI   amara "), None, Some("3/12 mill ln")),
            5,
        )
        .unwrap();
    assert_eq!(m[0].child.id, k.amara, "{m:?}");
    let reasons = m[0].matched.reasons.join("; ");
    assert!(reasons.contains("swapped"), "{reasons}");
    assert!(
        reasons.contains("same address in another format"),
        "{reasons}"
    );
}

#[test]
fn ann_finds_anne() {
    let mut h = desk_with_children();
    let k = seed(&mut h);
    let m = h
        .desk
        .matches(&probe(Some("Ann Nowak"), Some("01/03/2018"), None), 5)
        .unwrap();
    assert_eq!(ids(&m).first(), Some(&k.anne), "{m:?}");
}

#[test]
fn same_child_at_a_new_address() {
    let mut h = desk_with_children();
    let k = seed(&mut h);
    let m = h
        .desk
        .matches(
            &probe(
                Some("Amara Osei"),
                Some("22/11/2019"),
                Some("5 New Street, Leeds"),
            ),
            5,
        )
        .unwrap();
    assert_eq!(m[0].child.id, k.amara, "{m:?}");
    assert!(score_of(&m, k.amara) >= 80);
    // Its earlier referrals come with it, with dates and outcomes.
    assert_eq!(m[0].referrals.len(), 1);
}

#[test]
fn different_child_same_name_other_dob_is_shown_lower() {
    let mut h = desk_with_children();
    let k = seed(&mut h);
    let m = h
        .desk
        .matches(&probe(Some("Amara Osei"), Some("22/11/2019"), None), 5)
        .unwrap();
    let got = ids(&m);
    assert!(got.contains(&k.amara_older), "shown: {got:?}");
    assert!(score_of(&m, k.amara) > score_of(&m, k.amara_older));
    let pos = |id| got.iter().position(|&x| x == id).unwrap();
    assert!(pos(k.amara) < pos(k.amara_older));
    let older = m.iter().find(|x| x.child.id == k.amara_older).unwrap();
    assert!(older
        .matched
        .reasons
        .iter()
        .any(|r| r == "date of birth differs"));
}

#[test]
fn address_alone_in_a_flat_format_finds_the_child() {
    let mut h = desk_with_children();
    let k = seed(&mut h);
    let m = h
        .desk
        .matches(&probe(None, None, Some("flat 3 12 Mill Lane")), 5)
        .unwrap();
    assert!(ids(&m).contains(&k.amara), "{m:?}");
    assert!(!ids(&m).contains(&k.oliver));
}

#[test]
fn nothing_typed_nothing_found() {
    let mut h = desk_with_children();
    seed(&mut h);
    assert!(h
        .desk
        .matches(&probe(None, None, None), 5)
        .unwrap()
        .is_empty());
    assert!(h
        .desk
        .matches(&probe(Some("Zz"), None, None), 5)
        .unwrap()
        .is_empty());
}
