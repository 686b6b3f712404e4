//! Person matching for re-referrals ("start again syndrome"): given what the
//! caller has said so far, rank earlier children by how likely they are the
//! same child, with the reasons. The store finds candidates (FTS5 trigram);
//! this ranks them.

use chrono::NaiveDate;
use serde::Serialize;

/// What the caller has said so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    pub name: Option<String>,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
}

/// A child already on file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub child_id: i64,
    pub name: Option<String>,
    pub dob: Option<NaiveDate>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    pub child_id: i64,
    /// 0–100; higher is more likely the same child.
    pub score: u32,
    /// Plain words: "same date of birth", "name spelt differently (Anne/Ann)".
    pub reasons: Vec<String>,
}

/// Scores one candidate; `None` when nothing matches well enough to show.
pub fn score(probe: &Probe, cand: &Candidate) -> Option<Match> {
    todo!("{probe:?}{cand:?}")
}

/// Scores and sorts, best first (ties by child id).
pub fn rank(probe: &Probe, cands: &[Candidate]) -> Vec<Match> {
    let mut v: Vec<Match> = cands.iter().filter_map(|c| score(probe, c)).collect();
    v.sort_by(|a, b| b.score.cmp(&a.score).then(a.child_id.cmp(&b.child_id)));
    v
}

/// Lower-cased, accents kept, punctuation and repeated spaces removed.
pub fn normalise_name(s: &str) -> String {
    todo!("{s}")
}

/// Lower-cased, flat formats unified (`Flat 3, 12 Mill Lane` and
/// `3/12 Mill Ln` both become `3 12 mill lane`), common abbreviations expanded.
pub fn normalise_address(s: &str) -> String {
    todo!("{s}")
}

/// Search terms for the store's trigram index: fragments of at least three
/// characters from the name and address, so that a misspelt name still finds
/// candidates.
pub fn search_terms(probe: &Probe) -> Vec<String> {
    todo!("{probe:?}")
}
