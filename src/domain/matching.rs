//! Person matching for re-referrals ("start again syndrome"): given what the
//! caller has said so far, rank earlier records by how likely they are the
//! same person, with the reasons. The one matcher for children and for the
//! adults of a household (`domain::household`): a candidate is a child on
//! file or an adult as recorded on an earlier referral. The store finds
//! candidates (FTS5 trigram); this ranks them.
//!
//! # Scoring
//!
//! Points are added per field and the total is capped at 100:
//!
//! | evidence                                        | points |
//! |-------------------------------------------------|--------|
//! | name: exact (after normalising)                 | 50     |
//! | name: similar (Jaro-Winkler 0.70–1.00 → 0–50)   | 0–50   |
//! | name: first and last names swapped              | −2     |
//! | name: per word on one side only (middle name)   | −3     |
//! | name: only one word pairs up, per extra word    | −15    |
//! | name: clearly different (both given)            | −10    |
//! | date of birth: same                             | 35     |
//! | date of birth: day and month swapped            | 20     |
//! | date of birth: one of day/month/year differs    | 10     |
//! | date of birth: differs                          | −5     |
//! | address: same (after normalising)               | 25     |
//! | address: same street, one lacks the postcode    | 22     |
//! | address: same, one adds a town                  | 20     |
//! | address: similar (street misspelt)              | 15     |
//! | address: only the postcode is the same          | 8      |
//!
//! So the same name and date of birth at a new address scores 85, and a
//! different child with the same name and another date of birth 45: shown,
//! but below. A candidate is shown at [`THRESHOLD`] (40) or more; when the
//! caller has not given a name yet, it is also shown at 80% of the points the
//! given fields could earn (an exact address alone, 25, is shown).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// What the caller has said so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Probe {
    pub name: Option<String>,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
}

/// A record already on file: a child (`id` is the child's), or an adult as
/// recorded on a referral's household (`id` is that household row's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub name: Option<String>,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Match {
    /// The candidate's id (a child's, or a household row's).
    pub id: i64,
    /// 0–100; higher is more likely the same person.
    pub score: u32,
    /// Plain words: "same date of birth", "name spelt differently (Anne/Ann)".
    pub reasons: Vec<String>,
}

/// The lowest score shown (see the module documentation for the exception
/// when no name has been given).
pub const THRESHOLD: i32 = 40;

/// At this score or more an earlier child is very likely the same child (the
/// same name and address, or name and date of birth): a call from the
/// command line is not logged as a new child until the caller says which
/// (`--link CHILD_ID` or `--new-child`), so no earlier record is missed
/// ("start again syndrome").
pub const STRONG: u32 = 75;

/// Whether a match is strong enough to stop a new child being made blind.
pub fn is_strong(m: &Match) -> bool {
    m.score >= STRONG
}

const NAME_MAX: f64 = 50.0;
/// Name similarity (0–1) at and below which a name earns nothing.
const NAME_FLOOR: f64 = 0.70;
const NAME_SWAPPED: i32 = -2;
/// Per word on one side only, when two or more words pair up.
const NAME_EXTRA_WORD: i32 = 3;
/// Per word on one side only, when just one word pairs up.
const NAME_EXTRA_WORD_LONE: i32 = 15;
const NAME_DIFFERS: i32 = -10;

const DOB_SAME: i32 = 35;
const DOB_DAY_MONTH_SWAPPED: i32 = 20;
const DOB_ONE_PART: i32 = 10;
const DOB_DIFFERS: i32 = -5;

const ADDR_SAME: i32 = 25;
const ADDR_NO_POSTCODE: i32 = 22;
const ADDR_TOWN_ADDED: i32 = 20;
const ADDR_SIMILAR: i32 = 15;
const ADDR_POSTCODE: i32 = 8;

/// An address as given, with its parts (see [`address_parts`]), when it
/// normalises to something.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Addr {
    raw: String,
    tokens: Vec<String>,
    postcode: Option<String>,
}

impl Addr {
    /// `None` when the address normalises to nothing (as
    /// [`normalise_address`] would give an empty string).
    fn of(raw: Option<&str>) -> Option<Addr> {
        let raw = raw?;
        let (tokens, postcode) = address_parts(raw);
        let empty = tokens.join(" ").is_empty() && postcode.as_deref().is_none_or(str::is_empty);
        (!empty).then(|| Addr {
            raw: raw.to_string(),
            tokens,
            postcode,
        })
    }
}

/// A candidate with its name and address normalised, made once and ranked
/// against every keystroke's probe: the desk keeps these between keystrokes
/// while the file is unchanged, so typing does not normalise the same
/// 200 candidates again and again. [`rank`] makes them on the spot; either
/// way a candidate scores the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    pub id: i64,
    name: Option<String>,
    dob: Option<NaiveDate>,
    address: Option<Addr>,
}

impl Normalised {
    pub fn of(cand: &Candidate) -> Normalised {
        Normalised::from_parts(
            cand.id,
            cand.name.as_deref(),
            cand.dob,
            cand.address.as_deref(),
        )
    }

    /// A name that normalises to nothing counts as no name, and likewise an
    /// address, for the caller and for a record on file alike.
    fn from_parts(
        id: i64,
        name: Option<&str>,
        dob: Option<NaiveDate>,
        address: Option<&str>,
    ) -> Normalised {
        Normalised {
            id,
            name: name.map(normalise_name).filter(|s| !s.is_empty()),
            dob,
            address: Addr::of(address),
        }
    }
}

/// What the caller has said, normalised once for every candidate (its `id`
/// unused).
fn prepare(probe: &Probe) -> Normalised {
    Normalised::from_parts(
        0,
        probe.name.as_deref(),
        probe.dob,
        probe.address.as_deref(),
    )
}

/// Scores one candidate; `None` when nothing matches well enough to show.
pub fn score(probe: &Probe, cand: &Candidate) -> Option<Match> {
    score_prepared(&prepare(probe), &Normalised::of(cand))
}

fn score_prepared(probe: &Normalised, cand: &Normalised) -> Option<Match> {
    let mut total: i32 = 0;
    let mut reasons: Vec<String> = Vec::new();
    let mut available: i32 = 0;
    let mut probe_has_name = false;

    if let Some(p) = &probe.name {
        probe_has_name = true;
        available += NAME_MAX as i32;
        if let Some(c) = &cand.name {
            let (pts, why) = name_points(p, c);
            total += pts;
            reasons.extend(why);
        }
    }

    if let Some(p) = probe.dob {
        available += DOB_SAME;
        if let Some(c) = cand.dob {
            let (pts, why) = dob_points(p, c);
            total += pts;
            reasons.push(why.to_string());
        }
    }

    if let Some(p) = &probe.address {
        available += ADDR_SAME;
        if let Some(c) = &cand.address {
            let (pts, why) = address_points(p, c);
            total += pts;
            reasons.push(why.to_string());
        }
    }

    let total = total.clamp(0, 100);
    let shown = total >= THRESHOLD
        || (!probe_has_name && available > 0 && total > 0 && total * 5 >= available * 4);
    shown.then_some(Match {
        id: cand.id,
        score: total as u32,
        reasons,
    })
}

/// Scores and sorts, best first (ties by id). The probe is normalised once.
pub fn rank(probe: &Probe, cands: &[Candidate]) -> Vec<Match> {
    let cands: Vec<Normalised> = cands.iter().map(Normalised::of).collect();
    rank_normalised(probe, cands.iter())
}

/// As [`rank`], for candidates normalised already ([`Normalised::of`]).
pub fn rank_normalised<'a>(
    probe: &Probe,
    cands: impl IntoIterator<Item = &'a Normalised>,
) -> Vec<Match> {
    let prepared = prepare(probe);
    let mut v: Vec<Match> = cands
        .into_iter()
        .filter_map(|c| score_prepared(&prepared, c))
        .collect();
    v.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    v
}

/// Lower-cased, accents kept, punctuation and repeated spaces removed.
///
/// Hyphens and apostrophes join their neighbours (`O'Brien` → `obrien`,
/// `Smith-Jones` → `smithjones`); other punctuation separates words.
/// Letters and digits of any script are kept, as are combining accents.
pub fn normalise_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() || is_combining_mark(c) {
            out.extend(c.to_lowercase());
        } else if is_joiner(c) {
            // dropped: joins the parts either side
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    out
}

/// Lower-cased, flat formats unified (`Flat 3, 12 Mill Lane` and
/// `3/12 Mill Ln` both become `3 12 mill lane`), common abbreviations expanded.
///
/// Also: `12 Mill Lane Flat 3` becomes `3 12 mill lane`; punctuation goes;
/// `St` becomes `street` after a street name and `saint` before one; a UK
/// postcode at the end is kept last with its space removed
/// (`... LS1 4AB` → `... ls14ab`).
pub fn normalise_address(s: &str) -> String {
    let (tokens, postcode) = address_parts(s);
    let mut out = tokens.join(" ");
    if let Some(pc) = postcode {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&pc);
    }
    out
}

/// Search terms for the store's trigram index: fragments of at least three
/// characters from the name and address, so that a misspelt name still finds
/// candidates.
///
/// For each word of the name (split at any punctuation, so `O'Brien` gives
/// `brien`, which is what the raw text contains), its first and last three
/// or four characters (`amarah` → `amar`, `arah`; `osie` → `osi`, `sie`); a
/// word of three characters is used whole. Then the street name from the
/// address (`Flat 3, 12 Mill Ln` → `mill`), without numbers, `flat` or street
/// types. Lower-cased, deduplicated, at most six. The store should OR them and
/// let the ranking here sort out the rest.
pub fn search_terms(probe: &Probe) -> Vec<String> {
    const MAX_TERMS: usize = 6;
    let mut out: Vec<String> = Vec::new();
    let push = |t: String, out: &mut Vec<String>| {
        if t.chars().count() >= 3 && !out.contains(&t) && out.len() < MAX_TERMS {
            out.push(t);
        }
    };

    // Reserve room for the street name when there is an address.
    let street: Option<String> = probe.address.as_deref().and_then(|a| {
        raw_words(a)
            .into_iter()
            .find(|w| w.chars().count() >= 3 && is_street_name_word(w))
    });
    let name_room = MAX_TERMS - usize::from(street.is_some());

    if let Some(name) = probe.name.as_deref() {
        for w in raw_words(name) {
            let chars: Vec<char> = w.chars().collect();
            let n = chars.len();
            if n < 3 {
                continue;
            }
            let frags: Vec<String> = if n <= 3 {
                vec![w.clone()]
            } else {
                let k = if n <= 5 { 3 } else { 4 };
                vec![chars[..k].iter().collect(), chars[n - k..].iter().collect()]
            };
            for f in frags {
                if out.len() < name_room {
                    push(f, &mut out);
                }
            }
        }
    }
    if let Some(s) = street {
        push(s, &mut out);
    }
    out
}

// ---------------------------------------------------------------- names

fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}'
            | '\u{2018}'
            | '`'
            | '\u{00B4}'
            | '\u{02BC}'
            | '-'
            | '\u{2010}'
            | '\u{2011}'
    )
}

fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// Similarity of two name words, 0–1.
fn token_sim(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la == 1 || lb == 1 {
        // An initial against a name.
        return if a.chars().next() == b.chars().next() {
            0.8
        } else {
            0.0
        };
    }
    strsim::jaro_winkler(a, b)
}

struct NameCmp {
    /// Mean similarity of the paired words, 0–1.
    sim: f64,
    /// Words paired.
    matched: usize,
    /// Every word matched exactly (perhaps in another order).
    same_words: bool,
    /// Every paired word matched exactly (there may be extra words).
    paired_exact: bool,
    /// The matched words cross over (first and last names swapped).
    swapped: bool,
    /// Words on one side with no partner.
    extra: usize,
    /// Equal once spaces are ignored (`Smith Jones` / `Smith-Jones`).
    same_letters: bool,
}

/// Pairs the words of two normalised names, best pairs first, in any order.
fn compare_names(p: &str, c: &str) -> NameCmp {
    let pw: Vec<&str> = p.split(' ').filter(|w| !w.is_empty()).collect();
    let cw: Vec<&str> = c.split(' ').filter(|w| !w.is_empty()).collect();
    let same_letters = pw.concat() == cw.concat();

    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(pw.len() * cw.len());
    for (i, a) in pw.iter().enumerate() {
        for (j, b) in cw.iter().enumerate() {
            pairs.push((token_sim(a, b), i, j));
        }
    }
    // Best similarity first; among equals, prefer pairs in the same position.
    pairs.sort_by(|x, y| {
        y.0.total_cmp(&x.0)
            .then(x.1.abs_diff(x.2).cmp(&y.1.abs_diff(y.2)))
            .then(x.1.cmp(&y.1))
    });
    let mut used_p = vec![false; pw.len()];
    let mut used_c = vec![false; cw.len()];
    let mut chosen: Vec<(f64, usize, usize)> = Vec::new();
    for (s, i, j) in pairs {
        if !used_p[i] && !used_c[j] {
            used_p[i] = true;
            used_c[j] = true;
            chosen.push((s, i, j));
        }
    }
    let matched = chosen.len();
    let extra = pw.len().max(cw.len()) - matched;
    if matched == 0 {
        return NameCmp {
            sim: 0.0,
            matched,
            same_words: false,
            paired_exact: false,
            swapped: false,
            extra,
            same_letters,
        };
    }
    let sim = chosen.iter().map(|x| x.0).sum::<f64>() / matched as f64;

    chosen.sort_by_key(|x| x.1);
    let strong: Vec<usize> = chosen.iter().filter(|x| x.0 >= 0.8).map(|x| x.2).collect();
    let swapped = strong.windows(2).any(|w| w[0] > w[1]);
    let paired_exact = chosen.iter().all(|x| x.0 == 1.0);
    let same_words = extra == 0 && paired_exact;

    if same_letters && extra > 0 {
        // Spacing or hyphenation differs; the letters are the same.
        return NameCmp {
            sim: 1.0,
            matched,
            same_words: true,
            paired_exact: true,
            swapped: false,
            extra: 0,
            same_letters,
        };
    }
    NameCmp {
        sim,
        matched,
        same_words,
        paired_exact,
        swapped,
        extra,
        same_letters,
    }
}

fn name_points(p: &str, c: &str) -> (i32, Vec<String>) {
    let cmp = compare_names(p, c);
    let mut why = Vec::new();
    let frac = ((cmp.sim - NAME_FLOOR) / (1.0 - NAME_FLOOR)).clamp(0.0, 1.0);
    let mut pts = (NAME_MAX * frac).round() as i32;
    if pts == 0 {
        why.push("name differs".to_string());
        return (NAME_DIFFERS, why);
    }
    if p == c {
        why.push("same name".to_string());
    } else if cmp.same_words && cmp.swapped {
        why.push("first and last names swapped".to_string());
    } else if cmp.same_words && cmp.same_letters {
        why.push("same name, spaced differently".to_string());
    } else if cmp.same_words {
        why.push("same name".to_string());
    } else {
        if cmp.swapped {
            why.push("first and last names swapped".to_string());
        }
        if cmp.extra > 0 {
            why.push("one record has an extra name".to_string());
        }
        if !cmp.paired_exact {
            why.push("name spelt differently".to_string());
        }
    }
    if cmp.swapped {
        pts += NAME_SWAPPED;
    }
    // A missing middle name costs little once two words agree; a lone first
    // name against a full name is weak evidence.
    let per_extra = if cmp.matched >= 2 {
        NAME_EXTRA_WORD
    } else {
        NAME_EXTRA_WORD_LONE
    };
    pts = (pts - per_extra * cmp.extra.min(3) as i32).max(1);
    (pts, why)
}

// ------------------------------------------------------------ dates of birth

fn dob_points(p: NaiveDate, c: NaiveDate) -> (i32, &'static str) {
    if p == c {
        return (DOB_SAME, "same date of birth");
    }
    if p.year() == c.year() && p.day() == c.month() && p.month() == c.day() {
        return (
            DOB_DAY_MONTH_SWAPPED,
            "date of birth with day and month swapped",
        );
    }
    let differing = usize::from(p.year() != c.year())
        + usize::from(p.month() != c.month())
        + usize::from(p.day() != c.day());
    if differing == 1 {
        return (
            DOB_ONE_PART,
            "date of birth nearly the same (one part differs)",
        );
    }
    (DOB_DIFFERS, "date of birth differs")
}

// ---------------------------------------------------------------- addresses

/// Street words that end a street name; used to pick search terms.
const STREET_TYPES: &[&str] = &[
    "road", "street", "lane", "avenue", "court", "crescent", "drive", "gardens", "place", "square",
    "close", "terrace", "park", "way", "grove", "mount", "house", "rd", "st", "ln", "ave", "av",
    "ct", "cres", "dr", "gdns", "pl", "sq", "cl", "ter", "terr", "pk", "saint",
];

fn expand_abbreviation(w: &str) -> Option<&'static str> {
    Some(match w {
        "rd" => "road",
        "ln" => "lane",
        "ave" | "av" => "avenue",
        "ct" => "court",
        "cres" => "crescent",
        "dr" => "drive",
        "gdns" => "gardens",
        "pl" => "place",
        "sq" => "square",
        "cl" => "close",
        "ter" | "terr" => "terrace",
        "pk" => "park",
        "apt" | "apartment" | "fl" => "flat",
        _ => return None,
    })
}

fn has_digit(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit())
}

/// Lower-cased words of raw text, split at anything but letters and digits.
fn raw_words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn is_street_name_word(w: &str) -> bool {
    !has_digit(w)
        && !STREET_TYPES.contains(&w)
        && !matches!(w, "flat" | "apt" | "apartment" | "fl" | "the")
}

fn is_outward(w: &[char]) -> bool {
    // A9, A99, AA9, AA99, A9A, AA9A
    let letters = w.iter().take_while(|c| c.is_ascii_lowercase()).count();
    if !(1..=2).contains(&letters) || w.len() <= letters {
        return false;
    }
    let rest = &w[letters..];
    rest[0].is_ascii_digit()
        && rest.len() <= 2
        && rest
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn is_inward(w: &[char]) -> bool {
    w.len() == 3 && w[0].is_ascii_digit() && w[1].is_ascii_lowercase() && w[2].is_ascii_lowercase()
}

/// A whole postcode with its space removed (`ls14ab`).
fn is_joined_postcode(w: &str) -> bool {
    let cs: Vec<char> = w.chars().collect();
    (5..=7).contains(&cs.len()) && is_inward(&cs[cs.len() - 3..]) && is_outward(&cs[..cs.len() - 3])
}

/// Address words (normalised, flat number first) and the postcode if any.
fn address_parts(s: &str) -> (Vec<String>, Option<String>) {
    let lower = s.to_lowercase();
    let cleaned: String = lower
        .chars()
        .filter(|c| !is_joiner(*c) || *c == '-')
        .map(|c| {
            if c.is_alphanumeric() || is_combining_mark(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let mut words: Vec<String> = cleaned.split_whitespace().map(str::to_string).collect();

    // A UK postcode at the end, typed with or without its space.
    let mut postcode = None;
    let n = words.len();
    if n >= 2 {
        let a: Vec<char> = words[n - 2].chars().collect();
        let b: Vec<char> = words[n - 1].chars().collect();
        if is_outward(&a) && is_inward(&b) {
            postcode = Some(format!("{}{}", words[n - 2], words[n - 1]));
            words.truncate(n - 2);
        }
    }
    if postcode.is_none() && words.last().is_some_and(|w| is_joined_postcode(w)) {
        postcode = words.pop();
    }

    // Expand abbreviations; "st" is "saint" before a name, "street" after one.
    let mut expanded: Vec<String> = Vec::with_capacity(words.len());
    for w in &words {
        let e = if w == "st" {
            let after_name = expanded
                .last()
                .is_some_and(|p: &String| !has_digit(p) && p != "flat");
            if after_name { "street" } else { "saint" }.to_string()
        } else {
            expand_abbreviation(w).map_or_else(|| w.clone(), str::to_string)
        };
        expanded.push(e);
    }

    // "flat 3" anywhere moves to the front as a bare "3".
    let mut flat: Option<String> = None;
    let mut rest: Vec<String> = Vec::with_capacity(expanded.len());
    let mut i = 0;
    while i < expanded.len() {
        let w = &expanded[i];
        if flat.is_none() && w == "flat" {
            if let Some(num) = expanded.get(i + 1) {
                if has_digit(num) || num.chars().count() == 1 {
                    flat = Some(num.clone());
                    i += 2;
                    continue;
                }
            }
        }
        rest.push(w.clone());
        i += 1;
    }
    let mut tokens = Vec::with_capacity(rest.len() + 1);
    tokens.extend(flat);
    tokens.extend(rest);
    (tokens, postcode)
}

/// Lower-cased letters and digits only, for "same address" as typed.
fn plain(s: &str) -> String {
    raw_words(s).join(" ")
}

fn address_points(p: &Addr, c: &Addr) -> (i32, &'static str) {
    let (pt, pp) = (&p.tokens, &p.postcode);
    let (ct, cp) = (&c.tokens, &c.postcode);
    let postcodes_conflict = matches!((&pp, &cp), (Some(a), Some(b)) if a != b);

    if pt == ct && pp == cp {
        return if plain(&p.raw) == plain(&c.raw) {
            (ADDR_SAME, "same address")
        } else {
            (ADDR_SAME, "same address in another format")
        };
    }
    if !postcodes_conflict && !pt.is_empty() && pt == ct {
        return (ADDR_NO_POSTCODE, "same address in another format");
    }
    if !postcodes_conflict && town_added(pt, ct) {
        return (ADDR_TOWN_ADDED, "same address in another format");
    }
    if !postcodes_conflict && similar_address(pt, ct) {
        return (ADDR_SIMILAR, "similar address");
    }
    if pp.is_some() && pp == cp {
        return (ADDR_POSTCODE, "same postcode");
    }
    (0, "different address")
}

/// One address is the other with more words after it (usually a town).
fn town_added(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() < long.len()
        && long.starts_with(short)
        && short.iter().any(|w| has_digit(w))
        && short.iter().filter(|w| !has_digit(w)).count() >= 2
}

/// Same numbers, and street words each spelt nearly the same.
fn similar_address(a: &[String], b: &[String]) -> bool {
    let nums = |v: &[String]| -> Vec<String> {
        let mut n: Vec<String> = v.iter().filter(|w| has_digit(w)).cloned().collect();
        n.sort();
        n
    };
    let words =
        |v: &[String]| -> Vec<String> { v.iter().filter(|w| !has_digit(w)).cloned().collect() };
    let (na, nb) = (nums(a), nums(b));
    let (wa, wb) = (words(a), words(b));
    if na.is_empty() || na != nb || wa.is_empty() || wa.len() != wb.len() {
        return false;
    }
    let sims: Vec<f64> = wa
        .iter()
        .zip(&wb)
        .map(|(x, y)| strsim::jaro_winkler(x, y))
        .collect();
    sims.iter().all(|s| *s >= 0.85) && sims.iter().sum::<f64>() / sims.len() as f64 >= 0.9
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn strong_means_the_same_child_very_likely() {
        let sofia = Candidate {
            id: 1,
            name: Some("Sofia Campbell".into()),
            dob: Some(d(2020, 1, 11)),
            address: Some("161 Park Avenue".into()),
        };
        let strong = |p: Probe| {
            rank(&p, std::slice::from_ref(&sofia))
                .first()
                .is_some_and(is_strong)
        };
        let dob = Some(d(2020, 1, 11));
        assert!(strong(probe(
            Some("Sofia Campbell"),
            dob,
            Some("161 Park Avenue")
        )));
        assert!(strong(probe(
            Some("sofia campbell"),
            dob,
            Some("9 Elm Grove")
        )));
        assert!(strong(probe(
            Some("Sofia Campbell"),
            None,
            Some("161 Park Avenue")
        )));
        // A sibling at the same address, or a namesake born another day: shown, not strong.
        assert!(!strong(probe(
            Some("Leo Campbell"),
            None,
            Some("161 Park Avenue")
        )));
        assert!(!strong(probe(
            Some("Sofia Campbell"),
            Some(d(2015, 6, 3)),
            Some("9 Elm Grove")
        )));
    }

    fn probe(name: Option<&str>, dob: Option<NaiveDate>, address: Option<&str>) -> Probe {
        Probe {
            name: name.map(str::to_string),
            dob,
            address: address.map(str::to_string),
        }
    }

    fn cand(id: i64, name: &str, dob: Option<NaiveDate>, address: Option<&str>) -> Candidate {
        Candidate {
            id,
            name: Some(name.to_string()),
            dob,
            address: address.map(str::to_string),
        }
    }

    fn name_only(p: &str, c: &str) -> Option<Match> {
        score(&probe(Some(p), None, None), &cand(1, c, None, None))
    }

    fn has(m: &Match, reason: &str) -> bool {
        m.reasons.iter().any(|r| r == reason)
    }

    #[test]
    fn normalise_name_examples() {
        assert_eq!(normalise_name("  O'Brien,  Siobhán "), "obrien siobhán");
        assert_eq!(normalise_name("Smith-Jones"), "smithjones");
        assert_eq!(normalise_name("AMARA   osei"), "amara osei");
        assert_eq!(normalise_name("J. Smith"), "j smith");
        assert_eq!(normalise_name("Zoë"), "zoë");
        assert_eq!(normalise_name("e\u{301}lodie"), "e\u{301}lodie");
        assert_eq!(normalise_name("מרים כהן"), "מרים כהן");
        assert_eq!(normalise_name("!!!"), "");
    }

    #[test]
    fn flat_formats_normalise_the_same() {
        let want = "3 12 mill lane";
        for s in [
            "Flat 3, 12 Mill Lane",
            "3/12 Mill Lane",
            "flat 3 12 mill ln",
            "12 Mill Lane, Flat 3",
            "Apt 3, 12 Mill Ln.",
            "FLAT 3,  12  MILL  LANE",
        ] {
            assert_eq!(normalise_address(s), want, "{s}");
        }
    }

    #[test]
    fn address_abbreviations_and_postcode() {
        assert_eq!(
            normalise_address("12 High St, LS1 4AB"),
            "12 high street ls14ab"
        );
        assert_eq!(
            normalise_address("12 High Street ls14ab"),
            "12 high street ls14ab"
        );
        assert_eq!(normalise_address("4 St John's Rd"), "4 saint johns road");
        assert_eq!(
            normalise_address("7 Acacia Ave, Rose Gdns, Oak Cres, Elm Ct, Ash Dr, Fox Pl, Red Sq"),
            "7 acacia avenue rose gardens oak crescent elm court ash drive fox place red square"
        );
        assert_eq!(
            normalise_address("Flat B, 2 Park Rd SW1A 1AA"),
            "b 2 park road sw1a1aa"
        );
        assert_eq!(normalise_address(""), "");
    }

    #[test]
    fn misspelt_name_is_found() {
        let m = name_only("Amara Osei", "Amarah Osie").expect("shown");
        assert!(m.score >= 40, "{m:?}");
        assert!(has(&m, "name spelt differently"), "{m:?}");
    }

    #[test]
    fn case_and_spacing_do_not_matter() {
        let m = name_only("amara  OSEI", "Amara Osei").unwrap();
        assert_eq!(m.score, 50);
        assert_eq!(m.reasons, vec!["same name"]);
        let m = name_only("Amara Smith Jones", "Amara Smith-Jones").unwrap();
        assert_eq!(m.score, 50);
    }

    #[test]
    fn transposed_letters() {
        let m = name_only("Jadyen Smith", "Jayden Smith").unwrap();
        assert!(m.score >= 45, "{m:?}");
        assert!(has(&m, "name spelt differently"));
    }

    #[test]
    fn missing_letters() {
        let m = name_only("Mohamed Khan", "Mohammed Khan").unwrap();
        assert!(m.score >= 45, "{m:?}");
        let m = name_only("Chloe Robinsn", "Chloe Robinson").unwrap();
        assert!(m.score >= 45, "{m:?}");
    }

    #[test]
    fn ann_and_anne() {
        let m = name_only("Ann Smith", "Anne Smith").unwrap();
        assert!(m.score >= 42, "{m:?}");
        assert!(has(&m, "name spelt differently"));
    }

    #[test]
    fn swapped_first_and_last_names() {
        let m = name_only("Osei Amara", "Amara Osei").unwrap();
        assert!(m.score >= 45, "{m:?}");
        assert!(has(&m, "first and last names swapped"), "{m:?}");
        // Swapped and misspelt.
        let m = name_only("Osie Amarah", "Amara Osei").unwrap();
        assert!(has(&m, "first and last names swapped"), "{m:?}");
        assert!(has(&m, "name spelt differently"), "{m:?}");
    }

    #[test]
    fn same_child_at_a_new_address_ranks_high() {
        let p = probe(
            Some("Amara Osei"),
            Some(d(2018, 5, 4)),
            Some("Flat 3, 12 Mill Lane"),
        );
        let m = score(
            &p,
            &cand(
                7,
                "Amara Osei",
                Some(d(2018, 5, 4)),
                Some("44 Hill Road, Leeds"),
            ),
        )
        .unwrap();
        assert!(m.score >= 80, "{m:?}");
        assert!(has(&m, "same date of birth"));
        assert!(has(&m, "different address"));
    }

    #[test]
    fn other_child_with_same_name_ranks_below_same_dob() {
        let p = probe(Some("Amara Osei"), Some(d(2018, 5, 4)), None);
        let cands = [
            cand(1, "Amara Osei", Some(d(2012, 9, 17)), None),
            cand(2, "Amarah Osie", Some(d(2018, 5, 4)), None),
        ];
        let ranked = rank(&p, &cands);
        assert_eq!(ranked.len(), 2, "{ranked:?}");
        assert_eq!(ranked[0].id, 2);
        assert_eq!(ranked[1].id, 1);
        assert!(ranked[1].score >= 40);
        assert!(has(&ranked[1], "date of birth differs"));
        assert!(has(&ranked[0], "same date of birth"));
    }

    #[test]
    fn day_and_month_swapped() {
        let p = probe(Some("Amara Osei"), Some(d(2018, 5, 4)), None);
        let m = score(&p, &cand(1, "Amara Osei", Some(d(2018, 4, 5)), None)).unwrap();
        assert!(has(&m, "date of birth with day and month swapped"));
        let same = score(&p, &cand(2, "Amara Osei", Some(d(2018, 5, 4)), None)).unwrap();
        let other = score(&p, &cand(3, "Amara Osei", Some(d(2011, 1, 9)), None)).unwrap();
        assert!(same.score > m.score && m.score > other.score);
    }

    #[test]
    fn flat_formats_count_as_same_address() {
        let p = probe(Some("Amara Osei"), None, Some("Flat 3, 12 Mill Lane"));
        let m = score(&p, &cand(1, "Amara Osei", None, Some("3/12 Mill Ln"))).unwrap();
        assert_eq!(m.score, 75);
        assert!(has(&m, "same address in another format"), "{m:?}");
        let m = score(
            &p,
            &cand(1, "Amara Osei", None, Some("flat 3, 12 mill lane")),
        )
        .unwrap();
        assert!(has(&m, "same address"), "{m:?}");
    }

    #[test]
    fn address_with_and_without_postcode_or_town() {
        let p = probe(None, None, Some("12 Mill Lane"));
        let m = score(&p, &cand(1, "X", None, Some("12 Mill Lane, LS1 4AB"))).unwrap();
        assert!(has(&m, "same address in another format"));
        let m = score(&p, &cand(1, "X", None, Some("12 Mill Lane, Leeds"))).unwrap();
        assert!(has(&m, "same address in another format"));
        // Different postcodes: not the same address.
        let p = probe(None, None, Some("12 Mill Lane LS1 4AB"));
        assert!(score(&p, &cand(1, "X", None, Some("12 Mill Lane BD1 1AA"))).is_none());
    }

    #[test]
    fn unrelated_child_not_returned() {
        let p = probe(
            Some("Amara Osei"),
            Some(d(2018, 5, 4)),
            Some("12 Mill Lane"),
        );
        assert!(score(
            &p,
            &cand(1, "Ben Clarke", Some(d(2015, 1, 20)), Some("9 Park Road"))
        )
        .is_none());
        assert!(name_only("Amara Osei", "Ben Clarke").is_none());
        assert!(name_only("Amara Osei", "Tomasz Nowak").is_none());
    }

    #[test]
    fn first_name_alone_is_not_enough() {
        assert!(name_only("Amara", "Amara Osei").is_none());
        let p = probe(Some("Amara"), Some(d(2018, 5, 4)), None);
        assert!(score(&p, &cand(1, "Amara Osei", Some(d(2018, 5, 4)), None)).is_some());
    }

    #[test]
    fn middle_name_missing_still_shown() {
        let m = name_only("Amara Osei", "Amara Grace Osei").unwrap();
        assert!(has(&m, "one record has an extra name"), "{m:?}");
        assert!(!has(&m, "name spelt differently"), "{m:?}");
    }

    #[test]
    fn partial_probes() {
        // Just an address: an exact one is shown, at its honest low score.
        let p = probe(None, None, Some("Flat 3, 12 Mill Lane"));
        let m = score(&p, &cand(1, "Amara Osei", None, Some("3/12 Mill Ln"))).unwrap();
        assert_eq!(m.score, 25);
        assert!(score(&p, &cand(2, "Amara Osei", None, Some("9 Park Road"))).is_none());
        // Date of birth and name.
        let p = probe(Some("Amara Osei"), Some(d(2018, 5, 4)), None);
        assert_eq!(
            score(&p, &cand(1, "Amara Osei", Some(d(2018, 5, 4)), None))
                .unwrap()
                .score,
            85
        );
        // Candidate with nothing but an id.
        let bare = Candidate {
            id: 9,
            name: None,
            dob: None,
            address: None,
        };
        assert!(score(&p, &bare).is_none());
        // Empty probe.
        assert!(score(&Probe::default(), &cand(1, "Amara Osei", None, None)).is_none());
    }

    #[test]
    fn everything_the_same_scores_100() {
        let p = probe(
            Some("Amara Osei"),
            Some(d(2018, 5, 4)),
            Some("12 Mill Lane"),
        );
        let m = score(
            &p,
            &cand(1, "Amara Osei", Some(d(2018, 5, 4)), Some("12 Mill Lane")),
        )
        .unwrap();
        assert_eq!(m.score, 100);
        assert_eq!(
            m.reasons,
            vec!["same name", "same date of birth", "same address"]
        );
    }

    #[test]
    fn rank_breaks_ties_by_id() {
        let p = probe(Some("Amara Osei"), None, None);
        let cands = [
            cand(5, "Amara Osei", None, None),
            cand(3, "Amara Osei", None, None),
        ];
        let ids: Vec<i64> = rank(&p, &cands).iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![3, 5]);
    }

    #[test]
    fn search_terms_examples() {
        let p = probe(Some("Amarah O'Brien"), None, Some("Flat 3, 12 Mill Ln"));
        assert_eq!(search_terms(&p), vec!["amar", "arah", "bri", "ien", "mill"]);
        let p = probe(Some("Osie Amarah Grace Li"), None, None);
        let t = search_terms(&p);
        assert!(t.len() <= 6);
        assert_eq!(&t[..4], ["osi", "sie", "amar", "arah"]);
        assert!(t.iter().all(|s| s.chars().count() >= 3));
        assert!(search_terms(&Probe::default()).is_empty());
        // Duplicates go.
        let p = probe(Some("Ann Ann"), None, Some("4 St Ann's Road"));
        assert_eq!(search_terms(&p), vec!["ann"]);
        // The misspelt probe shares a term with the stored name.
        let p = probe(Some("Amarah Osie"), None, None);
        assert!(search_terms(&p)
            .iter()
            .any(|t| "amara osei".contains(t.as_str())));
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-zA-Z' ,/-]{0,30}",
            "(flat |apt )?[0-9]{0,3}[ /,]{0,2}[0-9]{0,3} [a-z]{0,8} (rd|st|ln|road)?( [a-z]{1,2}[0-9]{1,2} ?[0-9][a-z]{2})?",
        ]
    }

    fn any_date() -> impl Strategy<Value = Option<NaiveDate>> {
        proptest::option::of(
            (1900i32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, dd)| d(y, m, dd)),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn score_never_panics_and_stays_in_range(
            pn in proptest::option::of(any_text()), pa in proptest::option::of(any_text()), pd in any_date(),
            cn in proptest::option::of(any_text()), ca in proptest::option::of(any_text()), cd in any_date(),
        ) {
            let p = Probe { name: pn, dob: pd, address: pa };
            let c = Candidate { id: 1, name: cn, dob: cd, address: ca };
            if let Some(m) = score(&p, &c) {
                prop_assert!(m.score <= 100);
            }
            let terms = search_terms(&p);
            prop_assert!(terms.len() <= 6);
            prop_assert!(terms.iter().all(|t| t.chars().count() >= 3));
        }

        #[test]
        fn identical_records_always_match(name in "[A-Z][a-z]{2,8} [A-Z][a-z]{2,8}", dob in any_date()) {
            let p = Probe { name: Some(name.clone()), dob, address: None };
            let c = Candidate { id: 1, name: Some(name), dob, address: None };
            let m = score(&p, &c).unwrap();
            prop_assert!(m.score >= 50);
        }

        #[test]
        fn normalising_is_idempotent(s in any_text()) {
            let n = normalise_name(&s);
            prop_assert_eq!(normalise_name(&n), n.clone());
            let a = normalise_address(&s);
            prop_assert_eq!(normalise_address(&a), a.clone());
        }
    }
}
