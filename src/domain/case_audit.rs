//! Case audits (Rec 30: no-further-action decisions audited; Derby 4: a
//! regular sample of cases audited): a reproducible random sample of a
//! month's closed and no-further-action referrals, and the checklist each
//! audited case is answered against. Pure: the desk gives the month's
//! candidates and the seed.

use chrono::{Datelike, NaiveDate};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::DomainError;

/// The built-in checklist, used while the settings hold none (Rec 30, Rec
/// 25, Rec 26, Haringey JAR 14).
pub const DEFAULT_CHECKLIST: &[&str] = &[
    "The decision and its reasons are recorded on the file",
    "The child was seen and spoken to, or why not is recorded",
    "Earlier referrals of the child were considered",
    "A manager authorised the decision (Rec 25)",
    "The referrer was told the outcome in writing",
    "The decision was right on what was known",
];

/// How many cases a month's sample takes by default.
pub const DEFAULT_SIZE: usize = 10;

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, DomainError> {
        let t = s.trim();
        let bad = || {
            DomainError::Invalid(format!(
                "{:?} is not a month; give it as YYYY-MM, e.g. 2026-11",
                super::validate::preview(s)
            ))
        };
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) || m.len() != 2 {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    pub fn of(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// The first day, and the first day of the next month.
    pub fn days(self) -> (NaiveDate, NaiveDate) {
        let first = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN);
        let next = if self.month == 12 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year, self.month + 1, 1)
        }
        .unwrap_or(NaiveDate::MAX);
        (first, next)
    }

    pub fn name(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// The sample: `size` of the month's candidate referral ids, the same for
/// the same month, seed and candidates, in the order drawn. The candidates
/// are sorted first, so the order the store returned them in does not
/// matter; the generator is seeded from the month and the seed (SHA-256),
/// ChaCha8, so it is the same on every machine and every release that keeps
/// this function.
pub fn sample(month: Month, seed: u64, candidates: &[i64], size: usize) -> Vec<i64> {
    let mut ids: Vec<i64> = candidates.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut h = Sha256::new();
    h.update(b"dutydesk case audit sample\0");
    h.update(month.name().as_bytes());
    h.update(seed.to_be_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut rng = ChaCha8Rng::from_seed(digest);
    ids.shuffle(&mut rng);
    ids.truncate(size);
    ids
}

/// An answer to one checklist question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    NotApplicable,
}

impl Answer {
    pub fn parse(s: &str) -> Result<Answer, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Ok(Answer::Yes),
            "n" | "no" => Ok(Answer::No),
            "na" | "n/a" | "not_applicable" | "not-applicable" => Ok(Answer::NotApplicable),
            _ => Err(DomainError::Invalid(format!(
                "{:?} is not an answer; use yes, no or na",
                super::validate::preview(s)
            ))),
        }
    }
}

/// One question and its answer, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredQuestion {
    pub question: String,
    pub answer: Answer,
}

/// Pairs the answers with the checklist: one answer for every question, in
/// order.
pub fn answer(
    checklist: &[String],
    answers: &[Answer],
) -> Result<Vec<AnsweredQuestion>, DomainError> {
    if answers.len() != checklist.len() {
        return Err(DomainError::Invalid(format!(
            "the checklist has {} questions and {} answers were given: answer each, in order \
             (yes, no or na)",
            checklist.len(),
            answers.len()
        )));
    }
    Ok(checklist
        .iter()
        .zip(answers)
        .map(|(q, a)| AnsweredQuestion {
            question: q.clone(),
            answer: *a,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_the_same_for_the_same_month_and_seed_and_differs_otherwise() {
        let nov = Month::parse("2026-11").unwrap();
        let ids: Vec<i64> = (1..=200).collect();
        let a = sample(nov, 7, &ids, 10);
        assert_eq!(a.len(), 10);
        let mut reversed = ids.clone();
        reversed.reverse();
        assert_eq!(
            sample(nov, 7, &reversed, 10),
            a,
            "order of candidates does not matter"
        );
        assert_ne!(sample(nov, 8, &ids, 10), a);
        assert_ne!(sample(Month::parse("2026-12").unwrap(), 7, &ids, 10), a);
        assert_eq!(sample(nov, 7, &[3, 1], 10), {
            let mut s = sample(nov, 7, &[1, 3], 10);
            s.truncate(2);
            s
        });
        // The draw for one month and seed is pinned: a sample published for
        // an audit must come out the same from a later release.
        assert_eq!(
            sample(nov, 1, &(1..=20).collect::<Vec<_>>(), 3),
            vec![9, 20, 19]
        );
    }

    #[test]
    fn months_and_answers_parse() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(
            m.days(),
            (
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
            )
        );
        for bad in ["2026-13", "2026-1", "Nov", "2026/11"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        let q = vec!["a".to_string(), "b".to_string()];
        assert!(answer(&q, &[Answer::Yes]).is_err());
        assert_eq!(
            answer(&q, &[Answer::Yes, Answer::No]).unwrap()[1].answer,
            Answer::No
        );
        assert_eq!(Answer::parse("N/A").unwrap(), Answer::NotApplicable);
    }
}
