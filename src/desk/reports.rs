//! The director's report (Rec 29, Rec 54): figures for a period, never names.
//!
//! Every figure is defined in [`DEFINITIONS`] (shown by `dutydesk report
//! --help`, the Reports screen's `?` and the README). Period figures are summed
//! from `report_days` (kept by triggers, by London day); snapshot figures read
//! the live tables at `as_at`.

use crate::domain::permissions::{self, Access, Permission};
use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::allocation::NotAllocated;
use crate::domain::clocks::Profile;
use crate::domain::time::{end_of_london_day, london_date};
use crate::domain::{ActionKind, Decision, ReferralSource, ReferralState};
use crate::store;

/// Late reasons given fewer times than this are counted together, so a
/// one-off reason that names a child or family never reaches the report.
pub const REASON_MIN_COUNT: i64 = 3;

/// At most this many cases are listed (unmet need, unallocated); counts are whole.
pub const CASE_LIST_LIMIT: usize = 500;

/// Exactly what each figure counts. Shown in help and the README.
pub const DEFINITIONS: &str = "\
Period: --from and --to are London calendar days, both included (default: the 1st of this \
month to today). 'as at' is the end of the period, or now if that is earlier.
Referred: referrals received in the period (one per child per call; a child referred twice \
counts twice, as in the CIN census).
Re-referrals: referrals in the period whose child had another referral received in the 365 \
days before it, whatever order the calls were logged in (a referral logged after a later one \
of the same child makes that one a re-referral); % is of referred.
Decisions: decisions recorded in the period, by type (nfa, advice, other_agency, assessment, \
s47). Awaiting decision: referrals received in the period with no decision and not closed.
Needing a service (Rec 29): referrals assessed as needing a service in the period. Provided: \
referrals whose service was provided in the period. Unmet need: referrals assessed as needing \
a service before 'as at', not provided and not closed by then; the wait is from the day the \
need was recorded to 'as at'.
Timeliness (due in the period): for each kind of deadline, the actions whose due instant \
falls in the period and that are done, or still open and past due at 'as at'. On time = \
done at or before the due instant, judged once when the action ends, at the store's \
precision (whole seconds; a fraction past the deadline is late) and kept with it; done is \
when it happened (--at), not when it was typed. % = on time / (done + still overdue). \
Actions not yet due are not counted. Cancelled at closure (closed as not needed when the \
referral closed) is its own column: neither on time nor late, and not in the %. Clocks are \
the profile's (seed: pass to duty 1 hour Rec 39; written confirmation 48 hours Rec 21; child \
seen 24 hours where deliberate harm is alleged Rec 35; decision end of 1st working day; \
initial assessment 7 working days NI59; core assessment 35 working days NI60).
Assessments completed (NI59, NI60): initial, core (and single) assessments completed in the \
period, by the London day each was completed (its outcome recorded), on time or late against \
its clock; % = on time / completed. This is how the indicators count; the timeliness rows \
for the same kinds count by the day due.
Late reasons: reasons recorded on actions done late whose due instant is in the period, \
grouped by their text (case and surrounding spaces ignored); a reason given fewer than 3 \
times is counted under 'other reasons', so free text that may name a family is never shown.
Unallocated (Rec 54, Rec 55: allocated only when a social worker is actively engaged): \
referrals, not closed, with any open statutory action after pass-to-duty whose owner is not \
a duty worker or duty manager, active and at work, as at now (owners are not recorded over \
time, so this cannot be counted back). The same count as the queue header and the handover. \
Why, the first that applies: 'no owner', 'owner inactive' (left), 'owner absent', 'owner not \
duty staff'. No reason field exists yet: why nobody took the case is not recorded, and the \
report says so.
Overdue at end of day: actions past their due instant and not done at the end of that London \
day (or now, for today).
Awaiting authorisation (Rec 25): open referrals with an assessment outcome or 'no further \
action' proposed by a worker and not yet authorised by a duty manager, as at now; until \
authorised they count as not yet assessed (or awaiting decision) everywhere else. Authorised \
and returned: proposals a manager authorised or sent back in the period.
Case audits (Rec 30): for each month the period touches, the closed and no-further-action \
cases audited from that month's sample, and for each checklist question how many were answered \
yes, no and not applicable (every team's; a team's report shows the same).
Caseloads (Rec 52): by team as at now, for duty workers and duty managers: open cases \
allocated to them, of which not yet accepted, open actions they own, of which overdue, the \
most cases one person holds, and how many are over the team's caseload ceiling.";

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A team's name; `None` for every team.
    pub team: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Report {
    pub period: Period,
    /// The team reported on, or `null` for every team.
    pub team: Option<String>,
    pub profile: String,
    pub referrals: ReferralFigures,
    pub decisions: Vec<DecisionCount>,
    pub services: Services,
    pub timeliness: Vec<Timeliness>,
    /// NI59/NI60: assessments completed in the period.
    pub assessments_completed: Vec<Completions>,
    pub late_reasons: Vec<ReasonCount>,
    pub unallocated: Unallocated,
    pub teams: Vec<TeamFigures>,
    pub sources: Vec<SourceFigures>,
    pub daily: Vec<DayFigures>,
    /// Outcomes and "no further action" awaiting a manager (Rec 25).
    #[serde(default)]
    pub authorisation: super::authorisation::AuthorisationFigures,
    /// Caseloads by team, as at now (Rec 52).
    #[serde(default)]
    pub caseloads: Vec<super::allocation::TeamCaseload>,
    /// Case audits of the months the period touches (Rec 30): every team's.
    #[serde(default)]
    pub case_audits: Vec<super::case_audit::MonthAudits>,
    /// Screening in the period (issue 16): screenings by RAG, agency checks
    /// due in the period answered on time or late (Rec 34), checks open now,
    /// consent overridden, escalations to section 47. Counts only.
    #[serde(default)]
    pub screening: crate::store::ScreeningCounts,
    /// Strategy discussions within 24 hours with a manager from each agency
    /// (Rec 93) and their action points on time (Rec 51).
    #[serde(default)]
    pub strategy: super::strategy::StrategyFigures,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 00:00 London on `from`.
    pub start: DateTime<Utc>,
    /// 00:00 London on the day after `to` (not included).
    pub end: DateTime<Utc>,
    /// `end`, or now if earlier: when snapshot figures are taken.
    pub as_at: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ReferralFigures {
    pub referred: i64,
    pub rereferrals: i64,
    pub rereferral_pct: Option<f64>,
    pub awaiting_decision: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DecisionCount {
    pub decision: Decision,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Services {
    pub service_needed: i64,
    pub service_provided: i64,
    pub unmet_need: i64,
    pub unmet_waits: Vec<Band>,
    pub unmet_longest_days: Option<i64>,
    pub unmet: Vec<UnmetCase>,
    pub unmet_truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct UnmetCase {
    pub referral_id: i64,
    pub team: String,
    pub service_needed_at: DateTime<Utc>,
    pub waited_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Band {
    pub band: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Timeliness {
    /// The action kind, or `null` for every deadline together.
    pub kind: Option<ActionKind>,
    pub label: String,
    /// The clock in force ("1 hour", "end of 7th working day"), if any.
    pub clock: Option<String>,
    /// Where the clock comes from (Rec 39, NI59 …).
    pub source: String,
    pub on_time: i64,
    pub late: i64,
    pub still_overdue: i64,
    /// on_time + late + still_overdue.
    pub measured: i64,
    pub on_time_pct: Option<f64>,
    /// Closed as not needed when the referral closed: neither on time nor
    /// late, and not in `measured`.
    pub cancelled: i64,
}

/// Assessments completed in the period (NI59, NI60; Working Together 2023's
/// single assessment): counted by the day each was completed, as the
/// indicators count them. `Report::timeliness` counts the same kinds by the
/// day they were due.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Completions {
    pub kind: ActionKind,
    /// "NI59", "NI60", "Working Together 2023".
    pub indicator: String,
    pub label: String,
    pub clock: Option<String>,
    pub completed: i64,
    pub on_time: i64,
    pub late: i64,
    pub on_time_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Unallocated {
    pub as_at: DateTime<Utc>,
    pub count: i64,
    pub no_owner: i64,
    pub owner_absent: i64,
    pub owner_inactive: i64,
    pub owner_not_duty_staff: i64,
    pub deliberate_harm: i64,
    pub possible_crime: i64,
    /// Whose next action is already past due.
    pub overdue: i64,
    pub ages: Vec<Band>,
    pub oldest_days: Option<i64>,
    pub by_stage: Vec<StageCount>,
    pub cases: Vec<UnallocatedCase>,
    pub cases_truncated: bool,
    /// What the report cannot say, and why.
    pub not_recorded: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StageCount {
    pub state: ReferralState,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct UnallocatedCase {
    pub referral_id: i64,
    pub team: String,
    pub received_at: DateTime<Utc>,
    pub age_days: i64,
    pub state: ReferralState,
    pub deliberate_harm: bool,
    pub next_action: ActionKind,
    pub next_due: DateTime<Utc>,
    pub overdue: bool,
    /// `no_owner`, `owner_inactive`, `owner_absent` or `owner_not_duty_staff`.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TeamFigures {
    pub team_id: i64,
    pub team: String,
    pub referred: i64,
    pub rereferrals: i64,
    pub decisions: i64,
    pub service_needed: i64,
    pub service_provided: i64,
    pub unmet_need: i64,
    pub unallocated: i64,
    /// Every deadline together first, then each kind as in `Report::timeliness`.
    pub timeliness: Vec<Timeliness>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SourceFigures {
    pub code: String,
    pub label: String,
    pub referred: i64,
    pub rereferrals: i64,
    pub pct_of_referred: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub referred: i64,
    /// Overdue actions at the end of the day (or now, today).
    pub overdue_at_end: i64,
}

/// Percent to one decimal place; `None` when there is nothing to divide by.
pub fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// 00:00 London on `d`.
fn london_midnight(d: NaiveDate) -> DateTime<Utc> {
    end_of_london_day(d.pred_opt().unwrap_or(d)) + Duration::seconds(1)
}

/// The period for `q` at `now`: defaults, order and size checked.
pub fn period(q: &ReportQuery, now: DateTime<Utc>) -> Result<Period> {
    let today = london_date(now);
    let to = q.to.unwrap_or(today);
    let from = q
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), to.month(), 1).unwrap_or(to));
    if from > to {
        return Err(DeskError::Invalid(format!(
            "the period starts ({}) after it ends ({}); give --from on or before --to",
            from.format("%d/%m/%Y"),
            to.format("%d/%m/%Y")
        )));
    }
    if (to - from).num_days() > 3660 {
        return Err(DeskError::Invalid(
            "a report covers at most ten years; give a shorter period".into(),
        ));
    }
    let start = london_midnight(from);
    let end = end_of_london_day(to) + Duration::seconds(1);
    Ok(Period {
        from,
        to,
        start,
        end,
        as_at: end.min(now),
        generated_at: now,
    })
}

/// Headline clocks first (the order of the issue), then the rest.
const KIND_ORDER: &[ActionKind] = &[
    ActionKind::PassToDuty,
    ActionKind::WrittenConfirmation,
    ActionKind::SeeChild,
    ActionKind::Decision,
    ActionKind::InitialAssessment,
    ActionKind::CoreAssessment,
    ActionKind::SingleAssessment,
    ActionKind::InitialConference,
    ActionKind::InformPolice,
    ActionKind::StrategyDiscussion,
    ActionKind::ReferrerFeedback,
    ActionKind::Interpreter,
    ActionKind::ActionPoint,
    ActionKind::AgencyCheck,
    ActionKind::StrategyCirculation,
];

#[derive(Default, Clone, Copy)]
struct Tally {
    on_time: i64,
    late: i64,
    open: i64,
    cancelled: i64,
}

/// The assessment clocks, with the indicator each is reported as.
const ASSESSMENT_INDICATORS: &[(ActionKind, &str)] = &[
    (ActionKind::InitialAssessment, "NI59"),
    (ActionKind::CoreAssessment, "NI60"),
    (ActionKind::SingleAssessment, "Working Together 2023"),
];

fn age_band(days: i64, bands: &[(i64, &str)]) -> usize {
    bands
        .iter()
        .position(|(max, _)| days < *max)
        .unwrap_or(bands.len() - 1)
}

const UNMET_BANDS: &[(i64, &str)] = &[
    (7, "under 1 week"),
    (28, "1 to 4 weeks"),
    (84, "4 to 12 weeks"),
    (i64::MAX, "12 weeks or more"),
];

const UNALLOCATED_BANDS: &[(i64, &str)] = &[
    (1, "under 1 day"),
    (3, "1 to 2 days"),
    (8, "3 to 7 days"),
    (i64::MAX, "over 7 days"),
];

impl Desk {
    /// The director's report for a period (Rec 29, Rec 54).
    pub fn report(&mut self, q: &ReportQuery, now: DateTime<Utc>) -> Result<Report> {
        let actor = self.actor.clone();
        self.store.read(|c| {
            let me = staff_of(c, &actor)?;
            permit(&me, Permission::ReadFigures)?;
            let rules = super::settings::rules_in(c)?;
            let p = period(q, now)?;
            let all_teams = store::list_teams(c)?;
            let team = match &q.team {
                Some(name) => Some(
                    store::team_by_name(c, name)?
                        .ok_or_else(|| DeskError::NotFound(format!("no team called {name:?}")))?,
                ),
                None => None,
            };
            let team_id = team.as_ref().map(|t| t.id);
            let teams: Vec<(i64, String)> = all_teams
                .iter()
                .filter(|t| team_id.is_none_or(|id| id == t.id))
                .map(|t| (t.id, t.name.clone()))
                .collect();
            let team_name = |id: i64| {
                all_teams
                    .iter()
                    .find(|t| t.id == id)
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| format!("team {id}"))
            };
            let from_s = p.from.format("%Y-%m-%d").to_string();
            let to_s = p.to.format("%Y-%m-%d").to_string();
            let sums = store::report_sums(c, &from_s, &to_s, team_id)?;
            let open = store::open_actions_due_before(c, p.as_at, team_id)?;
            // Snapshot cut: everything recorded before the period's end, or up to now.
            let snap = if p.end <= now {
                p.end
            } else {
                now + Duration::seconds(1)
            };
            let unmet_rows = store::unmet_need(c, snap, team_id, p.end > now)?;
            let unalloc_rows = store::unallocated(c, now, team_id)?;
            let awaiting = store::awaiting_decision(c, p.start, p.end, team_id)?;

            let sum = |t: Option<i64>, measure: &str, key: Option<&str>| -> i64 {
                sums.iter()
                    .filter(|s| {
                        t.is_none_or(|t| s.team_id == t)
                            && s.measure == measure
                            && key.is_none_or(|k| s.key == k)
                    })
                    .map(|s| s.n)
                    .sum()
            };

            // Timeliness tallies by (team, kind).
            let mut tally: BTreeMap<(i64, ActionKind), Tally> = BTreeMap::new();
            for s in &sums {
                if !matches!(
                    s.measure.as_str(),
                    "done_on_time" | "done_late" | "cancelled"
                ) {
                    continue;
                }
                let Ok(kind) = ActionKind::parse(&s.key) else {
                    continue;
                };
                let e = tally.entry((s.team_id, kind)).or_default();
                match s.measure.as_str() {
                    "done_on_time" => e.on_time += s.n,
                    "done_late" => e.late += s.n,
                    _ => e.cancelled += s.n,
                }
            }
            for o in open.iter().filter(|o| o.due_at >= p.start) {
                tally.entry((o.team_id, o.kind)).or_default().open += 1;
            }
            let kinds: Vec<ActionKind> = KIND_ORDER
                .iter()
                .copied()
                .filter(|k| {
                    rules.timescales.get(*k).is_some() || tally.keys().any(|(_, tk)| tk == k)
                })
                .filter(|k| {
                    // Assessment clocks of the other profile only when they hold data.
                    let other_profile = match rules.profile {
                        Profile::Seed => {
                            matches!(
                                k,
                                ActionKind::SingleAssessment | ActionKind::InitialConference
                            )
                        }
                        Profile::WorkingTogether2023 => {
                            matches!(
                                k,
                                ActionKind::InitialAssessment | ActionKind::CoreAssessment
                            )
                        }
                    };
                    !other_profile || tally.keys().any(|(_, tk)| tk == k)
                })
                .collect();
            let timeliness_for = |t: Option<i64>| -> Vec<Timeliness> {
                let mut out = Vec::new();
                let mut all = Tally::default();
                for k in &kinds {
                    let mut x = Tally::default();
                    for ((tid, tk), v) in &tally {
                        if tk == k && t.is_none_or(|t| *tid == t) {
                            x.on_time += v.on_time;
                            x.late += v.late;
                            x.open += v.open;
                            x.cancelled += v.cancelled;
                        }
                    }
                    all.on_time += x.on_time;
                    all.late += x.late;
                    all.open += x.open;
                    all.cancelled += x.cancelled;
                    out.push(timeliness_row(Some(*k), x, &rules));
                }
                out.insert(0, timeliness_row(None, all, &rules));
                out
            };

            // Late reasons, grouped, small groups hidden.
            let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
            for s in sums.iter().filter(|s| s.measure == "late_reason") {
                let reason = s.key.split_once('\u{1f}').map(|x| x.1).unwrap_or("");
                *reasons.entry(reason.to_string()).or_default() += s.n;
            }
            let mut late_reasons: Vec<ReasonCount> = Vec::new();
            let (mut none, mut rare, mut withheld) = (0, 0, 0);
            // A director sees that reasons were given, never what they say:
            // a reason typed by a worker can name a family (Rec 29: figures).
            let text_allowed = permissions::access(me.role, Permission::ReadFreeText) != Access::No;
            for (reason, n) in reasons {
                if reason.is_empty() {
                    none += n;
                } else if !text_allowed {
                    withheld += n;
                } else if n < REASON_MIN_COUNT {
                    rare += n;
                } else {
                    late_reasons.push(ReasonCount { reason, count: n });
                }
            }
            late_reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
            if rare > 0 {
                late_reasons.push(ReasonCount {
                    reason: format!(
                        "(other reasons, each given fewer than {REASON_MIN_COUNT} times)"
                    ),
                    count: rare,
                });
            }
            if withheld > 0 {
                late_reasons.push(ReasonCount {
                    reason: "(a reason recorded; the text is not shown to directors)".into(),
                    count: withheld,
                });
            }
            if none > 0 {
                late_reasons.push(ReasonCount {
                    reason: "(no reason recorded)".into(),
                    count: none,
                });
            }

            // Unmet need.
            let as_at_day = london_date(p.as_at - Duration::seconds(1));
            let waited = |t: DateTime<Utc>| (as_at_day - london_date(t)).num_days().max(0);
            let mut unmet_waits = vec![0i64; UNMET_BANDS.len()];
            for u in &unmet_rows {
                unmet_waits[age_band(waited(u.service_needed_at), UNMET_BANDS)] += 1;
            }
            let services = Services {
                service_needed: sum(None, "service_needed", None),
                service_provided: sum(None, "service_provided", None),
                unmet_need: unmet_rows.len() as i64,
                unmet_waits: bands(UNMET_BANDS, &unmet_waits),
                unmet_longest_days: unmet_rows.iter().map(|u| waited(u.service_needed_at)).max(),
                unmet: unmet_rows
                    .iter()
                    .take(CASE_LIST_LIMIT)
                    .map(|u| UnmetCase {
                        referral_id: u.referral_id,
                        team: team_name(u.team_id),
                        service_needed_at: u.service_needed_at,
                        waited_days: waited(u.service_needed_at),
                    })
                    .collect(),
                unmet_truncated: unmet_rows.len() > CASE_LIST_LIMIT,
            };

            // Unallocated, as at now.
            let age = |t: DateTime<Utc>| (now - t).num_days().max(0);
            let mut ages = vec![0i64; UNALLOCATED_BANDS.len()];
            let mut stages: BTreeMap<ReferralState, i64> = BTreeMap::new();
            for u in &unalloc_rows {
                ages[age_band(age(u.received_at), UNALLOCATED_BANDS)] += 1;
                *stages.entry(u.state).or_default() += 1;
            }
            let with =
                |why: NotAllocated| unalloc_rows.iter().filter(|u| u.reason == why).count() as i64;
            let unallocated = Unallocated {
                as_at: now,
                count: unalloc_rows.len() as i64,
                no_owner: with(NotAllocated::NoOwner),
                owner_absent: with(NotAllocated::OwnerAbsent),
                owner_inactive: with(NotAllocated::OwnerInactive),
                owner_not_duty_staff: with(NotAllocated::OwnerNotDutyStaff),
                deliberate_harm: unalloc_rows.iter().filter(|u| u.deliberate_harm).count() as i64,
                possible_crime: unalloc_rows.iter().filter(|u| u.possible_crime).count() as i64,
                overdue: unalloc_rows.iter().filter(|u| u.next_due < now).count() as i64,
                ages: bands(UNALLOCATED_BANDS, &ages),
                oldest_days: unalloc_rows.iter().map(|u| age(u.received_at)).max(),
                by_stage: stages
                    .into_iter()
                    .map(|(state, count)| StageCount {
                        state,
                        label: state.label().to_string(),
                        count,
                    })
                    .collect(),
                cases: unalloc_rows
                    .iter()
                    .take(CASE_LIST_LIMIT)
                    .map(|u| UnallocatedCase {
                        referral_id: u.referral_id,
                        team: team_name(u.team_id),
                        received_at: u.received_at,
                        age_days: age(u.received_at),
                        state: u.state,
                        deliberate_harm: u.deliberate_harm,
                        next_action: u.next_kind,
                        next_due: u.next_due,
                        overdue: u.next_due < now,
                        reason: u.reason.as_str().to_string(),
                    })
                    .collect(),
                cases_truncated: unalloc_rows.len() > CASE_LIST_LIMIT,
                not_recorded: "why nobody has taken the case (capacity, awaiting information, \
                               waiting for a specialist) is not recorded: there is no reason \
                               field yet, so only 'no owner', 'owner inactive', 'owner absent' \
                               and 'owner not duty staff' can be told apart"
                    .into(),
            };

            // Per team.
            let team_rows = teams
                .iter()
                .map(|(id, name)| TeamFigures {
                    team_id: *id,
                    team: name.clone(),
                    referred: sum(Some(*id), "referred", None),
                    rereferrals: sum(Some(*id), "rereferred", None),
                    decisions: sum(Some(*id), "decided", None),
                    service_needed: sum(Some(*id), "service_needed", None),
                    service_provided: sum(Some(*id), "service_provided", None),
                    unmet_need: unmet_rows.iter().filter(|u| u.team_id == *id).count() as i64,
                    unallocated: unalloc_rows.iter().filter(|u| u.team_id == *id).count() as i64,
                    timeliness: timeliness_for(Some(*id)),
                })
                .collect();

            // Per source (every CIN code, in census order).
            let referred = sum(None, "referred", None);
            let sources = ReferralSource::ALL
                .iter()
                .map(|s| {
                    let n = sum(None, "referred", Some(s.code()));
                    SourceFigures {
                        code: s.code().to_string(),
                        label: s.label().to_string(),
                        referred: n,
                        rereferrals: sum(None, "rereferred", Some(s.code())),
                        pct_of_referred: pct(n, referred),
                    }
                })
                .collect();

            // Day by day: referrals, and overdue at the end of each day.
            let last_day = p.to.min(london_date(now));
            let mut daily = Vec::new();
            if last_day >= p.from {
                let last_s = last_day.format("%Y-%m-%d").to_string();
                let per_day = store::report_daily(c, "referred", &from_s, &last_s, team_id)?;
                let spans = store::report_daily(c, "late_span", &from_s, &last_s, team_id)?;
                let mut running = store::report_total_before(c, "late_span", &from_s, team_id)?;
                let mut d = p.from;
                let (mut i, mut j) = (0, 0);
                let mut open_due: Vec<DateTime<Utc>> = open.iter().map(|o| o.due_at).collect();
                open_due.sort();
                while d <= last_day {
                    let ds = d.format("%Y-%m-%d").to_string();
                    let mut referred_today = 0;
                    while i < per_day.len() && per_day[i].0 <= ds {
                        if per_day[i].0 == ds {
                            referred_today += per_day[i].1;
                        }
                        i += 1;
                    }
                    while j < spans.len() && spans[j].0 <= ds {
                        running += spans[j].1;
                        j += 1;
                    }
                    let cut = (end_of_london_day(d) + Duration::seconds(1)).min(now);
                    let open_overdue = open_due.partition_point(|t| *t < cut) as i64;
                    daily.push(DayFigures {
                        date: d,
                        referred: referred_today,
                        overdue_at_end: running + open_overdue,
                    });
                    d = match d.succ_opt() {
                        Some(n) => n,
                        None => break,
                    };
                }
            }

            let rereferrals = sum(None, "rereferred", None);
            Ok(Report {
                team: team.map(|t| t.name),
                profile: rules.profile.name().to_string(),
                referrals: ReferralFigures {
                    referred,
                    rereferrals,
                    rereferral_pct: pct(rereferrals, referred),
                    awaiting_decision: awaiting,
                },
                decisions: Decision::ALL
                    .iter()
                    .map(|d| DecisionCount {
                        decision: *d,
                        label: d.label().to_string(),
                        count: sum(None, "decided", Some(d.as_str())),
                    })
                    .collect(),
                services,
                timeliness: timeliness_for(None),
                assessments_completed: ASSESSMENT_INDICATORS
                    .iter()
                    .filter(|(k, _)| {
                        rules.timescales.get(*k).is_some()
                            || sum(None, "completed_on_time", Some(k.as_str()))
                                + sum(None, "completed_late", Some(k.as_str()))
                                > 0
                    })
                    .map(|(k, ind)| {
                        let on_time = sum(None, "completed_on_time", Some(k.as_str()));
                        let late = sum(None, "completed_late", Some(k.as_str()));
                        Completions {
                            kind: *k,
                            indicator: ind.to_string(),
                            label: k.label().to_string(),
                            clock: rules.timescales.get(*k).map(|c| c.describe()),
                            completed: on_time + late,
                            on_time,
                            late,
                            on_time_pct: pct(on_time, on_time + late),
                        }
                    })
                    .collect(),
                late_reasons,
                unallocated,
                teams: team_rows,
                sources,
                daily,
                authorisation: super::authorisation::figures(c, team_id, p.start, p.end, now)?,
                caseloads: super::allocation::team_figures(c, team_id, now)?,
                case_audits: super::case_audit::figures(
                    c,
                    crate::domain::case_audit::Month::of(p.from),
                    crate::domain::case_audit::Month::of(p.to),
                )?,
                screening: store::screening_counts(c, p.start, p.end, team_id, now)?,
                strategy: super::strategy::figures(c, team_id, p.start, p.end, now)?,
                period: p,
            })
        })
    }
}

fn bands(def: &[(i64, &str)], counts: &[i64]) -> Vec<Band> {
    def.iter()
        .zip(counts)
        .map(|((_, name), n)| Band {
            band: name.to_string(),
            count: *n,
        })
        .collect()
}

fn timeliness_row(
    kind: Option<ActionKind>,
    t: Tally,
    rules: &crate::domain::clocks::Rules,
) -> Timeliness {
    let measured = t.on_time + t.late + t.open;
    Timeliness {
        kind,
        label: match kind {
            Some(k) => k.label().to_string(),
            None => "every deadline".to_string(),
        },
        clock: kind
            .and_then(|k| rules.timescales.get(k))
            .map(|c| c.describe()),
        source: kind.map(|k| k.source().to_string()).unwrap_or_default(),
        on_time: t.on_time,
        late: t.late,
        still_overdue: t.open,
        measured,
        on_time_pct: pct(t.on_time, measured),
        cancelled: t.cancelled,
    }
}
