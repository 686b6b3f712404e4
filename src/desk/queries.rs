//! Reads. Each runs in one read transaction so it sees one snapshot.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Desk, DeskError, Result};
use crate::domain::matching::{self, Candidate, Match, Probe};
use crate::domain::time::{end_of_london_day, london_date};
use crate::domain::Role;
use crate::store::{
    self, Action, ChainReport, Child, EventFilter, EventHead, EventRow, QueueCounts, QueueFilter,
    QueueRow, Referral, Staff, Team,
};

/// Everything the referral screen and `referral show` need.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ReferralDetail {
    pub referral: Referral,
    pub child: Child,
    pub actions: Vec<Action>,
    /// Other referrals of the same child, oldest first.
    pub previous: Vec<Referral>,
    /// This referral's events, oldest first.
    pub events: Vec<EventRow>,
    pub call: Option<store::Call>,
}

/// A child already on file that may be the child the caller is describing.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ChildMatch {
    #[serde(flatten)]
    pub matched: Match,
    pub child: Child,
    pub referrals: Vec<Referral>,
}

/// Integrity of the file and the event chain.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct VerifyReport {
    pub integrity: Vec<String>,
    pub chain: ChainReport,
    pub head: EventHead,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.integrity == ["ok"] && self.chain.first_broken.is_none()
    }
}

/// What a director sees in the queue in place of a child's name (Rec 29: a
/// director sees figures, not names). The row keeps its ids, team, action,
/// owner and due time, so the figures add up; the name is only shown on a
/// record opened with a reason (`referral show --reason`), which is logged.
/// `Some(..)` rather than `None`, so it is not mistaken for a child whose
/// name is not known.
pub const NAME_WITHHELD: &str = "(name withheld: director)";

/// Whether the acting staff member is a director, who sees the queue without
/// names (Rec 29). A director may not search the queue by a child's name
/// either: the count of matches would tell whether a name is on file.
fn sees_figures_only(c: &rusqlite::Connection, login: &str, f: &QueueFilter) -> Result<bool> {
    let director = store::staff_by_login(c, login)?.is_some_and(|s| s.role == Role::Director);
    if director && f.child.as_deref().is_some_and(|n| !n.trim().is_empty()) {
        return Err(DeskError::Forbidden {
            what: "searching the queue by a child's name".into(),
            needs: "a duty role: directors see figures, not names (Rec 29)".into(),
            login: login.to_string(),
            have: "a director".into(),
        });
    }
    Ok(director)
}

impl Desk {
    /// One page of open actions. A director gets every row's `child` as
    /// [`NAME_WITHHELD`] (Rec 29).
    pub fn queue(
        &mut self,
        f: &QueueFilter,
        now: DateTime<Utc>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<QueueRow>> {
        let login = self.actor.login.clone();
        self.store.read(|c| {
            let director = sees_figures_only(c, &login, f)?;
            let mut rows = store::queue_page(c, f, now, offset, limit)?;
            if director {
                for r in &mut rows {
                    r.child = Some(NAME_WITHHELD.to_string());
                }
            }
            Ok::<_, DeskError>(rows)
        })
    }

    pub fn queue_len(&mut self, f: &QueueFilter, now: DateTime<Utc>) -> Result<i64> {
        let login = self.actor.login.clone();
        self.store.read(|c| {
            sees_figures_only(c, &login, f)?;
            Ok::<_, DeskError>(store::queue_len(c, f, now)?)
        })
    }

    /// Header counts for a team (or all teams).
    pub fn counts(&mut self, team_id: Option<i64>, now: DateTime<Utc>) -> Result<QueueCounts> {
        let today = london_date(now);
        let start =
            end_of_london_day(today.pred_opt().unwrap_or(today)) + chrono::Duration::seconds(1);
        self.store
            .read(|c| Ok::<_, DeskError>(store::queue_counts(c, team_id, now, start)?))
    }

    pub fn teams(&mut self) -> Result<Vec<Team>> {
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_teams(c)?))
    }

    pub fn team_named(&mut self, name: &str) -> Result<Team> {
        self.store.read(|c| {
            store::team_by_name(c, name)?
                .ok_or_else(|| DeskError::NotFound(format!("no team called {name:?}")))
        })
    }

    pub fn staff(&mut self, team_id: Option<i64>) -> Result<Vec<Staff>> {
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_staff(c, team_id)?))
    }

    /// The acting staff member, if on the staff list.
    pub fn me(&mut self) -> Result<Option<Staff>> {
        let login = self.actor.login.clone();
        self.store
            .read(|c| Ok::<_, DeskError>(store::staff_by_login(c, &login)?))
    }

    pub fn referral(&mut self, id: i64) -> Result<ReferralDetail> {
        self.store.read(|c| {
            let referral = store::referral_by_id(c, id)?
                .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))?;
            let child = store::child_by_id(c, referral.child_id)?
                .ok_or_else(|| DeskError::NotFound("the referral's child is missing".into()))?;
            let actions = store::actions_of_referral(c, id)?;
            let previous = store::referrals_of_child(c, referral.child_id)?
                .into_iter()
                .filter(|r| r.id != id)
                .collect();
            let events = store::list_events(
                c,
                &EventFilter {
                    referral_id: Some(id),
                    ..Default::default()
                },
            )?;
            let call = store::call_by_id(c, referral.call_id)?;
            Ok(ReferralDetail {
                referral,
                child,
                actions,
                previous,
                events,
                call,
            })
        })
    }

    pub fn action(&mut self, id: i64) -> Result<Action> {
        self.store.read(|c| {
            store::action_by_id(c, id)?
                .ok_or_else(|| DeskError::NotFound(format!("no action with id {id}")))
        })
    }

    /// Unfinished calls (drafts) of one login, or everyone's.
    pub fn drafts(&mut self, taken_by: Option<&str>) -> Result<Vec<store::Call>> {
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_drafts(c, taken_by)?))
    }

    /// Earlier children who may be the child being described (re-referrals).
    pub fn matches(&mut self, probe: &Probe, limit: usize) -> Result<Vec<ChildMatch>> {
        let terms = matching::search_terms(probe);
        if terms.is_empty() && probe.dob.is_none() {
            return Ok(Vec::new());
        }
        self.store.read(|c| {
            let found = store::child_candidates(c, &terms, probe.dob, 200)?;
            let cands: Vec<Candidate> = found
                .iter()
                .map(|ch| Candidate {
                    child_id: ch.id,
                    name: ch.name.clone(),
                    dob: ch.dob,
                    address: ch.address.clone(),
                })
                .collect();
            let mut out = Vec::new();
            for m in matching::rank(probe, &cands).into_iter().take(limit) {
                let child = found
                    .iter()
                    .find(|ch| ch.id == m.child_id)
                    .cloned()
                    .expect("ranked from found");
                let referrals = store::referrals_of_child(c, child.id)?;
                out.push(ChildMatch {
                    matched: m,
                    child,
                    referrals,
                });
            }
            Ok(out)
        })
    }

    pub fn events(&mut self, f: &EventFilter) -> Result<Vec<EventRow>> {
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_events(c, f)?))
    }

    pub fn head(&mut self) -> Result<EventHead> {
        self.store
            .read(|c| Ok::<_, DeskError>(store::event_head(c)?))
    }

    /// `PRAGMA integrity_check` and the event chain, end to end.
    pub fn verify(&mut self) -> Result<VerifyReport> {
        let integrity = self.store.integrity_check()?;
        self.store.read(|c| {
            Ok::<_, DeskError>(VerifyReport {
                integrity,
                chain: store::verify_chain(c)?,
                head: store::event_head(c)?,
            })
        })
    }
}
