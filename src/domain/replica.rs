//! How a copy of the desk (a restored Litestream replica, a backup) stands
//! against the live file: the same log up to the copy's head, and how far
//! behind it is in events and in seconds. Pure: the caller reads the heads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::DomainError;

/// One event's place in the log: its id, when it was written and its hash.
/// No record text: this is all the restore drill compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPoint {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub hash: String,
}

/// The live file as read for the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveLog {
    /// The live log's last event id when the check began (before the restore).
    pub last_id_before: i64,
    /// When the check began.
    pub as_at: DateTime<Utc>,
    /// The live event with the copy's last id (None when the live log has no
    /// such event). Read after the restore.
    pub at_copy_head: Option<LogPoint>,
    /// The first live event the copy lacks (id = the copy's last id + 1),
    /// when there is one.
    pub first_missing: Option<LogPoint>,
}

/// The result of comparing a copy's head with the live log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "standing", rename_all = "snake_case")]
pub enum Standing {
    /// The copy's log is the live log up to the copy's head.
    Agrees {
        /// Events the live file held when the check began that the copy lacks.
        events_behind: i64,
        /// How long before the check began the oldest of those was written
        /// (0 when none is missing): the changes the copy would lose.
        seconds_behind: i64,
    },
    /// The copy's event `id` is not the live file's event `id`: the copy is
    /// of another file, or one of the two was changed behind the tool's back.
    Differs { id: i64 },
    /// The copy holds events beyond the live file's last one: the live log
    /// was cut short, or the copy is of another file.
    LiveShorter { copy_last_id: i64 },
}

impl Standing {
    pub fn agrees(&self) -> bool {
        matches!(self, Standing::Agrees { .. })
    }
}

/// Compares a copy whose log ends at `copy_last_id` with hash `copy_hash`
/// (already verified whole on its own) with the live log.
pub fn standing(copy_last_id: i64, copy_hash: &str, live: &LiveLog) -> Standing {
    if copy_last_id > 0 {
        match &live.at_copy_head {
            None => return Standing::LiveShorter { copy_last_id },
            Some(p) if p.id != copy_last_id || p.hash != copy_hash => {
                return Standing::Differs { id: copy_last_id }
            }
            Some(_) => {}
        }
    }
    let events_behind = (live.last_id_before - copy_last_id).max(0);
    let seconds_behind = match (&live.first_missing, events_behind) {
        (Some(first), n) if n > 0 => (live.as_at - first.at).num_seconds().max(0),
        _ => 0,
    };
    Standing::Agrees {
        events_behind,
        seconds_behind,
    }
}

/// A log head as printed on paper (a handover, a chronology): event N and
/// its hash, whole (64 hex digits) or its first 16 or more digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaperHead {
    pub event: i64,
    pub hash: String,
}

impl PaperHead {
    /// Parses `N:HASH` (`4219:3f0c…`), ignoring case and spaces.
    pub fn parse(s: &str) -> Result<PaperHead, DomainError> {
        let bad = || {
            DomainError::Invalid(format!(
                "{:?} is not a head from paper: give the number of events and the hash as \
                 N:HASH (the hash whole, or at least its first 16 digits)",
                super::validate::preview(s)
            ))
        };
        let (n, h) = s.split_once(':').ok_or_else(bad)?;
        let event: i64 = n.trim().parse().map_err(|_| bad())?;
        let hash: String = h.chars().filter(|c| !c.is_whitespace()).collect();
        let hash = hash.to_ascii_lowercase();
        if event < 1
            || !(16..=64).contains(&hash.len())
            || !hash.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(bad());
        }
        Ok(PaperHead { event, hash })
    }
}

/// What a copy's log says about a head printed on paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "paper", rename_all = "snake_case")]
pub enum PaperCheck {
    /// The copy's event N has the hash on paper.
    Matches { event: i64 },
    /// The copy's event N has another hash.
    Differs { event: i64, copy_hash: String },
    /// The copy holds fewer events than the paper counted.
    Shorter { event: i64, copy_events: i64 },
}

impl PaperCheck {
    pub fn matches(&self) -> bool {
        matches!(self, PaperCheck::Matches { .. })
    }
}

/// Compares the paper's head with the copy's event of that number (`None`
/// when the copy has no such event; `copy_events` its count).
pub fn check_paper(paper: &PaperHead, at: Option<&LogPoint>, copy_events: i64) -> PaperCheck {
    match at {
        None => PaperCheck::Shorter {
            event: paper.event,
            copy_events,
        },
        Some(p) if p.id == paper.event && p.hash.to_ascii_lowercase().starts_with(&paper.hash) => {
            PaperCheck::Matches { event: paper.event }
        }
        Some(p) => PaperCheck::Differs {
            event: paper.event,
            copy_hash: p.hash.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    fn point(id: i64, at: i64) -> LogPoint {
        LogPoint {
            id,
            at: t(at),
            hash: format!("h{id}"),
        }
    }

    fn live(before: i64, head: Option<LogPoint>, missing: Option<LogPoint>) -> LiveLog {
        LiveLog {
            last_id_before: before,
            as_at: t(100),
            at_copy_head: head,
            first_missing: missing,
        }
    }

    #[test]
    fn a_copy_level_with_the_live_file_is_zero_behind() {
        let s = standing(40, "h40", &live(40, Some(point(40, 90)), None));
        assert_eq!(
            s,
            Standing::Agrees {
                events_behind: 0,
                seconds_behind: 0
            }
        );
    }

    #[test]
    fn a_copy_behind_counts_events_and_the_age_of_the_oldest_missing_one() {
        // Live had 45 events when the check began (at t=100); the copy ends
        // at 40; event 41 was written at t=97.
        let s = standing(
            40,
            "h40",
            &live(45, Some(point(40, 95)), Some(point(41, 97))),
        );
        assert_eq!(
            s,
            Standing::Agrees {
                events_behind: 5,
                seconds_behind: 3
            }
        );
    }

    #[test]
    fn events_written_during_the_restore_do_not_count_as_behind() {
        // The copy caught up with everything before the check began (40);
        // event 41 arrived on the live file while restoring.
        let s = standing(
            40,
            "h40",
            &live(40, Some(point(40, 95)), Some(point(41, 101))),
        );
        assert_eq!(
            s,
            Standing::Agrees {
                events_behind: 0,
                seconds_behind: 0
            }
        );
        // A copy further along than the head read before the restore.
        let s = standing(42, "h42", &live(40, Some(point(42, 101)), None));
        assert!(s.agrees());
    }

    #[test]
    fn a_different_hash_at_the_copys_head_differs() {
        let mut p = point(40, 95);
        p.hash = "another".into();
        let s = standing(40, "h40", &live(45, Some(p), Some(point(41, 97))));
        assert_eq!(s, Standing::Differs { id: 40 });
        assert!(!s.agrees());
    }

    #[test]
    fn a_copy_beyond_the_live_log_says_the_live_log_is_shorter() {
        let s = standing(50, "h50", &live(45, None, None));
        assert_eq!(s, Standing::LiveShorter { copy_last_id: 50 });
    }

    #[test]
    fn an_empty_copy_agrees_and_is_behind_by_the_whole_log() {
        let s = standing(0, "0000", &live(3, None, Some(point(1, 40))));
        assert_eq!(
            s,
            Standing::Agrees {
                events_behind: 3,
                seconds_behind: 60
            }
        );
    }

    #[test]
    fn a_head_from_paper_parses_whole_or_by_its_first_16_digits() {
        let h = "3F0C".repeat(16);
        let p = PaperHead::parse(&format!(" 4219 : {h} ")).unwrap();
        assert_eq!(p.event, 4219);
        assert_eq!(p.hash, h.to_ascii_lowercase());
        assert_eq!(
            PaperHead::parse("12:0123456789abcdef").unwrap().hash.len(),
            16
        );
        for bad in [
            "4219",
            "x:0123456789abcdef",
            "0:0123456789abcdef",
            "5:0123",
            "5:zz23456789abcdef",
            &format!("5:{h}0"),
        ] {
            let e = PaperHead::parse(bad).unwrap_err().to_string();
            assert!(e.contains("N:HASH"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_paper_matches_only_the_same_event_with_the_same_hash() {
        let paper = PaperHead::parse("40:h40").err();
        assert!(paper.is_some(), "h40 is not hex");
        let at = LogPoint {
            id: 40,
            at: t(0),
            hash: "abcdef0123456789".repeat(4),
        };
        let whole = PaperHead::parse(&format!("40:{}", at.hash)).unwrap();
        let short = PaperHead::parse("40:ABCDEF0123456789").unwrap();
        let other = PaperHead::parse("40:bbcdef0123456789").unwrap();
        assert!(check_paper(&whole, Some(&at), 50).matches());
        assert!(check_paper(&short, Some(&at), 50).matches());
        assert_eq!(
            check_paper(&other, Some(&at), 50),
            PaperCheck::Differs {
                event: 40,
                copy_hash: at.hash.clone()
            }
        );
        assert_eq!(
            check_paper(&whole, None, 39),
            PaperCheck::Shorter {
                event: 40,
                copy_events: 39
            }
        );
    }
}
