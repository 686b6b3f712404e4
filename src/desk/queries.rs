//! Reads. Each runs in one read transaction so it sees one snapshot.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Command, Desk, DeskError, Result};
use crate::domain::matching::{self, Candidate, Match, Probe};
use crate::domain::permissions::{Access, Permission, NAMED_ACCESS_HOURS};
use crate::domain::time::{end_of_london_day, london_date};
use crate::store::{
    self, Action, ChainReport, Child, EventFilter, EventHead, EventRow, Health, QueueCounts,
    QueueFilter, QueueRow, Referral, SealReport, Staff, Team,
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
    /// The other referrals made on the same call (its siblings), by id.
    #[serde(default)]
    pub siblings: Vec<Referral>,
    /// To whom the case is allocated (Rec 53), if it is.
    #[serde(default)]
    pub allocation: Option<store::Allocation>,
    /// Proposed outcomes and "no further action", oldest first (Rec 25).
    #[serde(default)]
    pub authorisations: Vec<store::Authorisation>,
    /// In transfer to another team (Rec 42), while it waits to be accepted.
    #[serde(default)]
    pub transfer: Option<store::Transfer>,
    /// Supervision and oversight notes, oldest first (Rec 45).
    #[serde(default)]
    pub oversight: Vec<store::OversightNote>,
    /// Every screening, oldest first (the last is in force): urgency, level
    /// of need, by whom, when, why.
    #[serde(default)]
    pub screenings: Vec<store::Screening>,
    /// The agency checks (Rec 34), in the order made, with their responses.
    #[serde(default)]
    pub checks: Vec<store::AgencyCheck>,
    /// Consent to share, oldest first (the last is in force).
    #[serde(default)]
    pub consents: Vec<store::Consent>,
    /// Escalations to section 47, with the state and decision before.
    #[serde(default)]
    pub escalations: Vec<store::Escalation>,
    /// The household: each person, their role, and what is known of them
    /// from other referrals, with why (issue 16).
    #[serde(default)]
    pub household: Vec<super::household::HouseholdEntry>,
    /// Where this child is named as a sibling on other children's referrals.
    #[serde(default)]
    pub named_as_sibling: Vec<super::household::Involvement>,
    /// Strategy discussions, oldest first (Rec 51, 93).
    #[serde(default)]
    pub strategy: Vec<crate::domain::strategy::Discussion>,
}

impl ReferralDetail {
    /// When the referral was last overseen (Rec 45), if ever.
    pub fn last_overseen(&self) -> Option<DateTime<Utc>> {
        self.oversight.iter().map(|o| o.recorded_at).max()
    }

    /// The proposal awaiting a manager's authorisation, if any.
    pub fn awaiting_authorisation(&self) -> Option<&store::Authorisation> {
        self.authorisations
            .iter()
            .find(|a| a.status == crate::domain::authorising::ProposalStatus::Awaiting)
    }
}

/// A child already on file that may be the child the caller is describing.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ChildMatch {
    #[serde(flatten)]
    pub matched: Match,
    pub child: Child,
    pub referrals: Vec<Referral>,
    /// Where this child is named as a sibling on other children's
    /// referrals (issue 16: a child's siblings on other calls are linked).
    #[serde(default)]
    pub named_as_sibling: Vec<super::household::Involvement>,
    /// The adults recorded in this child's households on its referrals
    /// (role, name as recorded, referral): who the caller may be talking
    /// about, and any alleged perpetrator, before the caller hangs up.
    #[serde(default)]
    pub household: Vec<super::household::Involvement>,
}

/// Integrity of the file, the event chain, and the state tables against
/// their seals (with every handover's recorded head).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct VerifyReport {
    pub integrity: Vec<String>,
    pub chain: ChainReport,
    pub head: EventHead,
    /// Every state row against its last seal, the seal chain (keyed or
    /// not) and the handovers' recorded heads.
    pub state: SealReport,
    /// The derived tables (the queue's kept counts, who holds the open
    /// actions, the report's monthly roll-up) that
    /// disagree with a recount of their records, one line each.
    #[serde(default)]
    pub derived: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.integrity == ["ok"]
            && self.chain.first_broken.is_none()
            && self.state.ok()
            && self.derived.is_empty()
    }

    /// The first thing wrong, in one line with no record text.
    pub fn first_problem(&self) -> Option<String> {
        if self.integrity != ["ok"] {
            return Some(format!(
                "integrity check failed: {}",
                self.integrity.join("; ")
            ));
        }
        if let Some((id, why)) = &self.chain.first_broken {
            return Some(format!("event log broken at event {id}: {why}"));
        }
        self.state
            .first_problem()
            .or_else(|| self.derived.first().cloned())
    }
}

/// A page of the queue with the filter's whole count.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct QueueWindow {
    pub rows: Vec<QueueRow>,
    pub total: i64,
}

/// Queue rows as the permission table lets `access` see them: a director's
/// carry `NAME_WITHHELD` for the child.
fn withhold_names(access: Access, rows: &mut [QueueRow]) {
    if access == Access::Figures {
        for r in rows {
            r.child = Some(NAME_WITHHELD.to_string());
        }
    }
}

/// What a director sees in the queue in place of a child's name (Rec 29: a
/// director sees figures, not names). The row keeps its ids, team, action,
/// owner and due time, so the figures add up; the name is only shown on a
/// record opened with a reason (`referral show --reason`), which is logged.
/// `Some(..)` rather than `None`, so it is not mistaken for a child whose
/// name is not known.
pub const NAME_WITHHELD: &str = "(name withheld: director)";

/// The queue filter as the permission table allows it: front-line staff see
/// their own actions only; a director sees rows without names and may not
/// search by a child's name (the count of matches would tell whether a name
/// is on file).
fn allowed_filter(me: &Staff, access: Access, f: &QueueFilter) -> Result<QueueFilter> {
    let mut f = f.clone();
    match access {
        Access::Own => f.owner = Some(me.login.clone()),
        Access::Figures if f.child.as_deref().is_some_and(|n| !n.trim().is_empty()) => {
            return Err(DeskError::Forbidden {
                what: "searching the queue by a child's name".into(),
                needs: "a duty role: directors see figures, not names (Rec 29)".into(),
                login: me.login.clone(),
                have: format!("a {}", me.role.label()),
            })
        }
        _ => {}
    }
    Ok(f)
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
        let (me, access) = self.gate(Permission::ReadQueue)?;
        let f = allowed_filter(&me, access, f)?;
        self.store.read(|c| {
            let mut rows = store::queue_page(c, &f, now, offset, limit)?;
            withhold_names(access, &mut rows);
            Ok::<_, DeskError>(rows)
        })
    }

    /// A page of the queue and how many open actions the filter matches, in
    /// one read (the queue screen's every reload; a name search reads its
    /// matches once for both).
    pub fn queue_window(
        &mut self,
        f: &QueueFilter,
        now: DateTime<Utc>,
        offset: i64,
        limit: i64,
    ) -> Result<QueueWindow> {
        let (me, access) = self.gate(Permission::ReadQueue)?;
        let f = allowed_filter(&me, access, f)?;
        self.store.read(|c| {
            let (mut rows, total) = store::queue_page_and_len(c, &f, now, offset, limit)?;
            withhold_names(access, &mut rows);
            Ok::<_, DeskError>(QueueWindow { rows, total })
        })
    }

    pub fn queue_len(&mut self, f: &QueueFilter, now: DateTime<Utc>) -> Result<i64> {
        let (me, access) = self.gate(Permission::ReadQueue)?;
        let f = allowed_filter(&me, access, f)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::queue_len(c, &f, now)?))
    }

    /// Header counts for a team (or all teams).
    pub fn counts(&mut self, team_id: Option<i64>, now: DateTime<Utc>) -> Result<QueueCounts> {
        let today = london_date(now);
        let start =
            end_of_london_day(today.pred_opt().unwrap_or(today)) + chrono::Duration::seconds(1);
        self.gate(Permission::ReadCounts)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::queue_counts(c, team_id, now, start)?))
    }

    pub fn teams(&mut self) -> Result<Vec<Team>> {
        self.gate(Permission::ReadStaff)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_teams(c)?))
    }

    pub fn team_named(&mut self, name: &str) -> Result<Team> {
        self.gate(Permission::ReadStaff)?;
        self.store.read(|c| {
            store::team_by_name(c, name)?
                .ok_or_else(|| DeskError::NotFound(format!("no team called {name:?}")))
        })
    }

    pub fn staff(&mut self, team_id: Option<i64>) -> Result<Vec<Staff>> {
        self.gate(Permission::ReadStaff)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_staff(c, team_id)?))
    }

    /// The acting staff member, if on the staff list.
    pub fn me(&mut self) -> Result<Option<Staff>> {
        let login = self.actor.login.clone();
        self.store
            .read(|c| Ok::<_, DeskError>(store::staff_by_login(c, &login)?))
    }

    /// A referral as the screens and `referral show` show it. The first
    /// reading by this login within [`NAMED_ACCESS_HOURS`] is logged as
    /// opened (`record_viewed`, Rec 58) in the same transaction as the read;
    /// re-reads within that window (a screen refreshing) are not logged
    /// again. A director needs `reason` (logged) unless they gave one for
    /// this child within the window. Front-line staff see the referral but
    /// not its events (the chronology is not theirs to read).
    pub fn open_referral(
        &mut self,
        id: i64,
        via: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ReferralDetail> {
        self.read_referral(id, via, reason, true, now)
    }

    /// A referral re-read by a screen that has it open: logged only when
    /// this login has not opened the record within the access window.
    pub fn refresh_referral(&mut self, id: i64, now: DateTime<Utc>) -> Result<ReferralDetail> {
        self.read_referral(id, "refresh", None, false, now)
    }

    fn read_referral(
        &mut self,
        id: i64,
        via: &str,
        reason: Option<String>,
        always_log: bool,
        now: DateTime<Utc>,
    ) -> Result<ReferralDetail> {
        let child_id = self.child_of_referral(id)?;
        self.open_record(
            child_id,
            Some(id),
            via,
            reason,
            Permission::ReadRecord,
            always_log,
            now,
        )?;
        self.read_referral_unlogged(id)
    }

    fn read_referral_unlogged(&mut self, id: i64) -> Result<ReferralDetail> {
        let (_, chronology) = self
            .gate(Permission::ReadChronology)
            .map_or((None, false), |g| {
                (Some(g.0), matches!(g.1, Access::Yes | Access::WithReason))
            });
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
            let events = if chronology {
                store::list_events(
                    c,
                    &EventFilter {
                        referral_id: Some(id),
                        ..Default::default()
                    },
                )?
            } else {
                Vec::new()
            };
            let call = store::call_by_id(c, referral.call_id)?;
            let siblings = store::referrals_of_call(c, referral.call_id)?
                .into_iter()
                .filter(|r| r.id != id)
                .collect();
            let allocation = super::allocation::allocated_to(c, id)?;
            let authorisations = store::proposals_of_referral(c, id)?;
            let transfer = store::pending_transfer(c, id)?;
            // Supervision notes are case discussion: for those who read the
            // chronology, as the events are.
            let oversight = if chronology {
                store::oversight_of_referral(c, id)?
            } else {
                Vec::new()
            };
            // Screening reasons, agencies' responses and consent are case
            // discussion too: for those who read the chronology.
            let (screenings, checks, consents, escalations) = if chronology {
                (
                    store::screenings_of_referral(c, id)?,
                    store::checks_of_referral(c, id)?,
                    store::consents_of_referral(c, id)?,
                    store::escalations_of_referral(c, id)?,
                )
            } else {
                Default::default()
            };
            let household = super::household::household_view(c, id)?;
            let named_as_sibling = super::household::named_as_sibling(c, referral.child_id)?
                .into_iter()
                .filter(|i| i.referral_id != id)
                .collect();
            let strategy = store::discussions_of_referral(c, id)?;
            Ok(ReferralDetail {
                household,
                named_as_sibling,
                strategy,
                referral,
                child,
                actions,
                previous,
                events,
                call,
                siblings,
                allocation,
                authorisations,
                transfer,
                oversight,
                screenings,
                checks,
                consents,
                escalations,
            })
        })
    }

    /// A referral read by code in this process (tests, the demo): checks the
    /// permission table but logs nothing. Not a `Request`: screens and
    /// commands read records through `open_referral`/`refresh_referral`.
    pub fn referral(&mut self, id: i64) -> Result<ReferralDetail> {
        self.gate(Permission::ReadRecord)?;
        self.read_referral_unlogged(id)
    }

    /// Checks `p` for a child's named record and logs its opening; when not
    /// `always_log` (a refresh), only if this login has not opened it (with a
    /// reason, for a director) within the access window.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn open_record(
        &mut self,
        child_id: i64,
        referral_id: Option<i64>,
        via: &str,
        reason: Option<String>,
        p: Permission,
        always_log: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (me, access) = self.gate(p)?;
        if !always_log && reason.is_none() {
            let needs_reason = access == Access::WithReason;
            let since = now - chrono::Duration::hours(NAMED_ACCESS_HOURS);
            let login = me.login.clone();
            let seen = self.store.read(|c| {
                Ok::<_, DeskError>(store::viewed_since(
                    c,
                    &login,
                    child_id,
                    since,
                    needs_reason,
                )?)
            })?;
            if seen {
                return Ok(());
            }
        }
        let cmd = match reason {
            Some(reason) => Command::ViewRecordWithReason {
                child_id,
                referral_id,
                via: via.to_string(),
                reason,
            },
            None => Command::ViewRecord {
                child_id,
                referral_id,
                via: via.to_string(),
            },
        };
        self.execute(cmd, now).map(|_| ())
    }

    /// One action, for someone who may read its referral.
    pub fn action(&mut self, id: i64, now: DateTime<Utc>) -> Result<Action> {
        let a = self.store.read(|c| {
            store::action_by_id(c, id)?
                .ok_or_else(|| DeskError::NotFound(format!("no action with id {id}")))
        })?;
        let child_id = self.child_of_referral(a.referral_id)?;
        self.open_record(
            child_id,
            Some(a.referral_id),
            "action",
            None,
            Permission::ReadRecord,
            false,
            now,
        )?;
        Ok(a)
    }

    /// Unfinished calls (drafts) of one login, or everyone's.
    pub fn drafts(&mut self, taken_by: Option<&str>) -> Result<Vec<store::Call>> {
        let (me, access) = self.gate(Permission::ReadDrafts)?;
        let taken_by = match access {
            Access::Own => Some(me.login.as_str()),
            _ => taken_by,
        };
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_drafts(c, taken_by)?))
    }

    /// When a call begun at `started_at` must reach the duty team (Rec 39),
    /// by the pass-to-duty clock in this database's settings: the call
    /// form's countdown asks here rather than keeping its own hour.
    pub fn pass_to_duty_due(&mut self, started_at: DateTime<Utc>) -> Result<DateTime<Utc>> {
        self.gate(Permission::ReadDrafts)?;
        let rules = self.rules()?;
        Ok(rules.pass_to_duty_due(started_at)?)
    }

    /// Earlier children who may be the child being described (re-referrals).
    ///
    /// Asked on every keystroke of the call form, so what one keystroke
    /// read is kept for the next while nothing has been written to the file,
    /// by this connection (its change count) or another (`PRAGMA
    /// data_version`): the trigram index's hits for the search terms (used
    /// again when the terms are the same: a date of birth or a street type
    /// typed, a house number changed), each candidate's name and address
    /// normalised for the ranking, and each shown child's referrals,
    /// sibling links and household adults. The date of birth's children are
    /// read every time. Either way the answer is the same as asked afresh.
    pub fn matches(&mut self, probe: &Probe, limit: usize) -> Result<Vec<ChildMatch>> {
        self.gate(Permission::ReadMatches)?;
        let terms = matching::search_terms(probe);
        if terms.is_empty() && probe.dob.is_none() {
            return Ok(Vec::new());
        }
        let stamp = (
            self.store.data_version()?,
            self.store.conn().total_changes(),
        );
        let mut kept = self
            .match_kept
            .take()
            .filter(|h| h.stamp == stamp)
            .unwrap_or_else(|| MatchKept::new(stamp));
        // Every shown child is a candidate: `about` is never the larger.
        if kept.normalised.len() > MATCH_KEPT_MAX {
            // A long session on a file nobody writes: start again.
            kept = MatchKept::new(stamp);
        }
        let out = self.store.read(|c| {
            if kept.terms.as_ref() != Some(&terms) {
                kept.children = store::children_with_terms(c, &terms, MATCH_CANDIDATES)?;
                kept.terms = Some(terms);
            }
            let mut found = kept.children.clone();
            store::add_children_born(c, probe.dob, MATCH_CANDIDATES, &mut found)?;
            for ch in &found {
                kept.normalised.entry(ch.id).or_insert_with(|| {
                    matching::Normalised::of(&Candidate {
                        id: ch.id,
                        name: ch.name.clone(),
                        dob: ch.dob,
                        address: ch.address.clone(),
                    })
                });
            }
            let ranked =
                matching::rank_normalised(probe, found.iter().map(|ch| &kept.normalised[&ch.id]));
            let mut out = Vec::new();
            for m in ranked.into_iter().take(limit) {
                let child = found
                    .iter()
                    .find(|ch| ch.id == m.id)
                    .cloned()
                    .expect("ranked from found");
                let about = match kept.about.get(&child.id) {
                    Some(a) => a.clone(),
                    None => {
                        let referrals = store::referrals_of_child(c, child.id)?;
                        let named_as_sibling = super::household::named_as_sibling(c, child.id)?;
                        let household = super::household::adults_of_child(c, &referrals)?;
                        let a = (referrals, named_as_sibling, household);
                        kept.about.insert(child.id, a.clone());
                        a
                    }
                };
                let (referrals, named_as_sibling, household) = about;
                out.push(ChildMatch {
                    matched: m,
                    child,
                    referrals,
                    named_as_sibling,
                    household,
                });
            }
            Ok::<_, DeskError>(out)
        })?;
        self.match_kept = Some(kept);
        Ok(out)
    }

    /// The events themselves, for code in this process (tests, the demo).
    /// Not a `Request`: no screen or command reaches it; people read events
    /// through `audit` and `chronology`, which check the permission table.
    pub fn events(&mut self, f: &EventFilter) -> Result<Vec<EventRow>> {
        self.store
            .read(|c| Ok::<_, DeskError>(store::list_events(c, f)?))
    }

    pub fn head(&mut self) -> Result<EventHead> {
        self.gate(Permission::Verify)?;
        self.store
            .read(|c| Ok::<_, DeskError>(store::event_head(c)?))
    }

    /// `PRAGMA integrity_check`, the event chain end to end, and every row
    /// of the state tables against its seals (replaying them all: slow on a
    /// big file). The outcome is kept for `health`, so every screen and
    /// command shows a failure until a later verify passes.
    pub fn verify(&mut self) -> Result<VerifyReport> {
        self.gate(Permission::Verify)?;
        let integrity = self.store.integrity_check()?;
        let key = self.store.chain_key().cloned();
        let report = self.store.read(|c| {
            Ok::<_, DeskError>(VerifyReport {
                integrity,
                chain: store::verify_chain(c)?,
                head: store::event_head(c)?,
                state: store::verify_seals(c, key.as_ref())?,
                derived: store::derived_problems(c)?,
            })
        })?;
        let problem = report.first_problem();
        // Best effort: a copy on read-only media still verifies.
        let _ = self.store.write(|c| {
            store::record_verify(
                c,
                report.ok(),
                report.head.count,
                report.state.seals,
                key.is_some(),
                problem.as_deref(),
            )
        });
        Ok(report)
    }

    /// The cheap check for a banner on every screen and a line on every
    /// command's stderr: the last full verify's outcome, and the end of the
    /// event log and of the seals. A few indexed reads at any size.
    /// Anyone on the staff list may ask (`Permission::ReadCounts`): it names
    /// no record, and everyone should see that the record may be altered.
    pub fn health(&mut self) -> Result<Health> {
        self.gate(Permission::ReadCounts)?;
        let key = self.store.chain_key().cloned();
        self.store
            .read(|c| Ok::<_, DeskError>(store::health(c, key.as_ref())?))
    }

    /// Keys the log with the server's key from now on (`serve` set-up, after
    /// `store::create_chain_key`; the store must be opened with that key).
    /// Returns the `chain_keyed` event, or `None` when it was keyed already.
    pub fn start_keyed_chain(&mut self, now: DateTime<Utc>) -> Result<Option<i64>> {
        let actor = self.actor.clone();
        Ok(self
            .store
            .start_keyed_chain(now, &actor.real_login, &actor.login)?)
    }
}

/// How many candidates the index and the date of birth each give the match.
const MATCH_CANDIDATES: i64 = 200;

/// How many children's normalised names and addresses the match keeps
/// between keystrokes before it starts again.
const MATCH_KEPT_MAX: usize = 20_000;

/// What the re-referral match read, as of one state of the file:
/// `(data_version, this connection's total changes)`. Dropped whole when
/// the file changes; at most a typing session's worth of children.
pub(crate) struct MatchKept {
    stamp: (i64, u64),
    /// The search terms of `children`, once asked.
    terms: Option<Vec<String>>,
    /// The index's hits for `terms`.
    children: Vec<store::Child>,
    /// Candidates' names and addresses normalised, by child id.
    normalised: HashMap<i64, matching::Normalised>,
    /// A shown child's referrals, where it is named as a sibling, and the
    /// adults of its households, by child id.
    about: HashMap<i64, ChildAbout>,
}

type ChildAbout = (
    Vec<Referral>,
    Vec<super::household::Involvement>,
    Vec<super::household::Involvement>,
);

impl MatchKept {
    fn new(stamp: (i64, u64)) -> MatchKept {
        MatchKept {
            stamp,
            terms: None,
            children: Vec::new(),
            normalised: HashMap::new(),
            about: HashMap::new(),
        }
    }
}
