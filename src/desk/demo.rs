//! Demo data: realistic teams, staff, children and a year of referrals.
//! Deterministic for a seed. Written through the store in large transactions
//! (one per 5,000 calls) so 100,000 referrals take seconds, with every rule-made
//! action and a whole event chain.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{Desk, DeskError, Result};
use crate::domain::clocks::ReferralFacts;
use crate::domain::endings::{End, EndKind};
use crate::domain::time::london_date;
use crate::domain::{
    ActionKind, ClosureReason, Decision, PrimaryNeed, ReferralSource, ReferralState, Role,
};
use crate::store::{self, Call, NewAction, NewChild, NewEvent, NewReferral, NewStaff, Referrer};

pub struct DemoSpec {
    pub referrals: u32,
    pub seed: u64,
    pub now: DateTime<Utc>,
    /// Login made duty manager of the first team, so whoever runs the demo can use it.
    pub manager_login: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoStats {
    pub referrals: u64,
    pub open_actions: u64,
    pub events: u64,
    /// Demo logins changed because they are the login of whoever ran the
    /// demo (who is the first team's manager): (demo login, login used).
    pub renamed: Vec<(String, String)>,
}

/// The login a demo member of staff gets: its own, unless that is the login
/// of whoever runs the demo (then `jpatel` becomes `jpatel2`, or the first
/// free number), so the runner's login is never taken twice.
pub fn demo_login(base: &str, runner: &str) -> String {
    if base != runner {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|l| l != runner)
        .expect("an unused number")
}

const FIRST: &[&str] = &[
    "Amara", "Oliver", "Leo", "Isla", "Mia", "Noah", "Ava", "Zara", "Kacper", "Aisha", "Ryan",
    "Chloe", "Tyler", "Jayden", "Ruby", "Ellie", "Mohammed", "Fatima", "Lily", "Jack", "Ann",
    "Anne", "Oskar", "Maya", "Daniel", "Sofia", "Kai", "Freya", "Musa", "Grace", "Ibrahim",
    "Hannah", "Emre", "Chidi", "Nia", "Bartek", "Eva", "Lucas", "Tariq", "Poppy",
];
const LAST: &[&str] = &[
    "Osei", "Smith", "Jones", "Khan", "Williams", "Brown", "Taylor", "Nowak", "Ahmed", "Evans",
    "Murphy", "Wilson", "Patel", "Okafor", "Campbell", "Hughes", "Begum", "Kowalski", "Clarke",
    "Mensah", "Hussain", "Walker", "Ali", "Robinson", "Adeyemi", "Green", "Lewis", "Ionescu",
];
const STREETS: &[&str] = &[
    "Mill Lane",
    "High Street",
    "Church Road",
    "Station Road",
    "Park Avenue",
    "Victoria Street",
    "Green Lane",
    "Manor Road",
    "Queens Road",
    "Kings Court",
    "Albert Crescent",
    "Elm Grove",
    "Cedar Close",
    "Willow Way",
    "Brook Street",
    "Meadow Drive",
];
const CONCERNS: &[&str] = &[
    "bruising to the upper arm noticed by class teacher; child said mum's boyfriend grabbed her",
    "neighbour reports young children left alone in the flat overnight",
    "child arrived at school hungry and in the same clothes for a week",
    "domestic abuse incident attended by police; children present",
    "health visitor concerned about the baby's weight and home conditions",
    "A&E attendance with an injury not consistent with the explanation given",
    "child disclosed to school nurse that she is afraid to go home",
    "mother presented at housing office intoxicated with toddler",
    "young person missing from home for three nights",
    "GP concerned about parental mental health and care of the children",
];
const LANGS: &[&str] = &[
    "Polish",
    "Romanian",
    "Somali",
    "Urdu",
    "Arabic",
    "Portuguese",
    "Twi",
];

struct StaffPick {
    workers: Vec<Vec<String>>,
    frontline: Vec<String>,
    renamed: Vec<(String, String)>,
}

fn setup(desk: &mut Desk, spec: &DemoSpec) -> Result<StaffPick> {
    let actor = desk.actor().clone();
    let now = spec.now;
    desk.store.write(|c| {
        store::set_file_training(c, true, now)?;
        let teams = [
            ("North Duty", "01632 960 101", "north.duty@example.gov.uk"),
            ("South Duty", "01632 960 202", "south.duty@example.gov.uk"),
            ("Emergency Duty", "01632 960 999", "edt@example.gov.uk"),
        ];
        let mut workers = Vec::new();
        let people: [&[(&str, &str)]; 3] = [
            &[
                ("jpatel", "Jaya Patel"),
                ("mokafor", "Michael Okafor"),
                ("swright", "Sarah Wright"),
                ("lnowak", "Lena Nowak"),
            ],
            &[
                ("adavies", "Alun Davies"),
                ("bking", "Bola King"),
                ("cmorris", "Claire Morris"),
                ("rsingh", "Ravi Singh"),
            ],
            &[("edtlead", "Pat Reilly"), ("edtsw", "Sam Carter")],
        ];
        let managers = ["tgreen", "hbell", "edtmgr"];
        let runner = spec.manager_login.as_str();
        let mut renamed = Vec::new();
        let mut login_for = |base: &str| -> String {
            let l = demo_login(base, runner);
            if l != base {
                renamed.push((base.to_string(), l.clone()));
            }
            l
        };
        let manager_names = ["Tom Green", "Helen Bell", "Dee Marsh"];
        for (i, (name, phone, email)) in teams.iter().enumerate() {
            let team_id = store::insert_team(c, name, Some(phone), Some(email))?;
            let mlogin = if i == 0 {
                spec.manager_login.clone()
            } else {
                login_for(managers[i])
            };
            store::insert_staff(
                c,
                &NewStaff {
                    login: mlogin,
                    display_name: if i == 0 && spec.manager_login != managers[0] {
                        format!("{} (demo manager)", spec.manager_login)
                    } else {
                        manager_names[i].to_string()
                    },
                    role: Role::DutyManager,
                    team_id: Some(team_id),
                },
            )?;
            let mut team_workers = Vec::new();
            for (base, display) in people[i] {
                let login = login_for(base);
                store::insert_staff(
                    c,
                    &NewStaff {
                        login: login.clone(),
                        display_name: display.to_string(),
                        role: Role::DutyWorker,
                        team_id: Some(team_id),
                    },
                )?;
                team_workers.push(login);
            }
            workers.push(team_workers);
        }
        let frontline: Vec<String> = ["ccentre1", "ccentre2", "reception"]
            .into_iter()
            .map(&mut login_for)
            .collect();
        for (l, n) in frontline.iter().zip([
            "Kim Lowe (contact centre)",
            "Raj Mehta (contact centre)",
            "Civic Centre reception",
        ]) {
            store::insert_staff(
                c,
                &NewStaff {
                    login: l.clone(),
                    display_name: n.into(),
                    role: Role::Frontline,
                    team_id: None,
                },
            )?;
        }
        store::insert_staff(
            c,
            &NewStaff {
                login: login_for("director"),
                display_name: "Dr Ann Fox (director)".into(),
                role: Role::Director,
                team_id: None,
            },
        )?;
        // One worker off sick, so "needs cover" shows.
        let mut sick = store::staff_by_login(c, &workers[0][3])?.expect("just added");
        sick.absent_from = Some(now - Duration::days(2));
        sick.absent_note = Some("off sick, no end date".into());
        store::update_staff(c, &sick)?;
        store::append_event(
            c,
            now,
            &actor.real_login,
            &actor.login,
            &NewEvent {
                kind: "demo_generated".into(),
                summary: format!(
                    "demo data: {} referrals, seed {}",
                    spec.referrals, spec.seed
                ),
                after: Some(json!({"referrals": spec.referrals, "seed": spec.seed})),
                ..Default::default()
            },
        )?;
        Ok::<_, DeskError>(StaffPick {
            workers,
            frontline,
            renamed,
        })
    })
}

/// Fills an empty database with demo data.
pub fn generate(desk: &mut Desk, spec: &DemoSpec) -> Result<DemoStats> {
    generate_with(desk, spec, &mut |_, _| {})
}

/// As [`generate`], telling `progress(made, total)` after each batch (for a
/// progress bar).
pub fn generate_with(
    desk: &mut Desk,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoStats> {
    if !desk.is_new()? {
        return Err(DeskError::Invalid(
            "demo data goes only into a new database".into(),
        ));
    }
    // A new file nobody else has open: fill it with durability relaxed,
    // and put it back (synced) whatever happens.
    store::bulk::begin_fill(desk.store.conn())?;
    let out = fill(desk, spec, progress);
    let end = store::bulk::end_fill(desk.store.conn());
    let stats = out?;
    end?;
    Ok(stats)
}

/// As [`generate`], with every batch synced as an ordinary write is (no
/// relaxed durability): what the bulk fill must match row for row.
pub fn generate_synced(desk: &mut Desk, spec: &DemoSpec) -> Result<DemoStats> {
    if !desk.is_new()? {
        return Err(DeskError::Invalid(
            "demo data goes only into a new database".into(),
        ));
    }
    fill(desk, spec, &mut |_, _| {})
}

fn fill(desk: &mut Desk, spec: &DemoSpec, progress: &mut dyn FnMut(u64, u64)) -> Result<DemoStats> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let pick = setup(desk, spec)?;
    let rules = desk.rules()?;
    let actor = desk.actor().clone();
    let now = spec.now;
    let total = spec.referrals as u64;
    let mut stats = DemoStats {
        renamed: pick.renamed.clone(),
        ..Default::default()
    };
    // Children already on file, for re-referrals: (id, name, dob, address).
    let mut known: Vec<(i64, Option<String>, Option<NaiveDate>, String)> = Vec::new();
    let span_secs = 365 * 24 * 3600i64;
    let mut made = 0u64;
    let mut k = 0u64;
    while made < total {
        let batch_end = (made + 5000).min(total);
        let (m, s) = desk.store.write(|c| {
            let mut local = DemoStats::default();
            let mut m = made;
            while m < batch_end {
                k += 1;
                // Received times spread over the year, oldest first, in office hours mostly.
                let frac = (m as f64 + rng.random::<f64>()) / total as f64;
                let mut received =
                    now - Duration::seconds(span_secs - (frac * span_secs as f64) as i64);
                if rng.random_bool(0.8) {
                    let d = london_date(received);
                    let hour = rng.random_range(8..18);
                    let local_t = d
                        .and_hms_opt(hour, rng.random_range(0..60), 0)
                        .expect("valid");
                    if let Some(t) = chrono::TimeZone::from_local_datetime(
                        &crate::domain::time::LONDON,
                        &local_t,
                    )
                    .earliest()
                    {
                        received = t.with_timezone(&Utc);
                    }
                }
                if received > now {
                    received = now - Duration::minutes(rng.random_range(1..50));
                }
                let team_ix = if rng.random_bool(0.45) {
                    0
                } else if rng.random_bool(0.8) {
                    1
                } else {
                    2
                };
                let team_id = team_ix as i64 + 1;
                let source = *pick_weighted(&mut rng);
                let harm = rng.random_bool(0.18);
                let crime = harm && rng.random_bool(0.5) || rng.random_bool(0.04);
                let siblings = if rng.random_bool(0.12) {
                    rng.random_range(2..4)
                } else {
                    1
                };
                let last = LAST[rng.random_range(0..LAST.len())];
                let addr = format!(
                    "{} {}",
                    rng.random_range(1..180),
                    STREETS[rng.random_range(0..STREETS.len())]
                );
                let flat = if rng.random_bool(0.3) {
                    format!("Flat {}, ", rng.random_range(1..30))
                } else {
                    String::new()
                };
                let taken_by = pick.frontline[rng.random_range(0..pick.frontline.len())].clone();
                let call = Call {
                    id: 0,
                    status: "submitted".into(),
                    started_at: received,
                    taken_by: taken_by.clone(),
                    team_id: Some(team_id),
                    draft_json: None,
                    draft_saved_at: None,
                    concern: Some(CONCERNS[rng.random_range(0..CONCERNS.len())].to_string()),
                    deliberate_harm: harm,
                    possible_crime: crime,
                    referrer: Referrer {
                        name: Some(format!(
                            "{} {}",
                            FIRST[rng.random_range(0..FIRST.len())],
                            LAST[rng.random_range(0..LAST.len())]
                        )),
                        relationship: Some(
                            source
                                .label()
                                .split(':')
                                .next_back()
                                .unwrap_or("")
                                .trim()
                                .to_string(),
                        ),
                        source: Some(source.code().into()),
                        address: None,
                        phone: Some(format!("07700 9{:05}", rng.random_range(0..100000))),
                        email: None,
                    },
                    passed_verbally_at: Some(received + Duration::minutes(rng.random_range(5..70))),
                    passed_verbally_to: Some(pick.workers[team_ix][0].clone()),
                    passed_verbally_by: Some(taken_by.clone()),
                    passed_writing_at: Some(received + Duration::minutes(rng.random_range(5..70))),
                    passed_writing_by: Some(taken_by.clone()),
                };
                let call_id = store::insert_call(c, &call)?;
                for _ in 0..siblings {
                    if m >= batch_end {
                        break;
                    }
                    m += 1;
                    let rereferral = !known.is_empty() && rng.random_bool(0.15);
                    let child_id = if rereferral {
                        known[rng.random_range(0..known.len())].0
                    } else {
                        let first = FIRST[rng.random_range(0..FIRST.len())];
                        let age_days = rng.random_range(30..(17 * 365));
                        let dob = london_date(received) - Duration::days(age_days);
                        let name_known = rng.random_bool(0.97);
                        let lang = if rng.random_bool(0.1) {
                            Some(LANGS[rng.random_range(0..LANGS.len())].to_string())
                        } else {
                            None
                        };
                        let child = NewChild {
                            name: name_known.then(|| format!("{first} {last}")),
                            dob: rng.random_bool(0.9).then_some(dob),
                            address: Some(format!("{flat}{addr}")),
                            interpreter_needed: lang.is_some() && rng.random_bool(0.6),
                            first_language: lang,
                            ..Default::default()
                        };
                        let id = store::insert_child(c, &child, received)?;
                        known.push((id, child.name.clone(), child.dob, addr.clone()));
                        id
                    };
                    let referral_id = store::insert_referral(
                        c,
                        &NewReferral {
                            call_id,
                            child_id,
                            team_id,
                            received_at: received,
                            source,
                            deliberate_harm: harm,
                            possible_crime: crime,
                        },
                    )?;
                    local.referrals += 1;
                    let facts = ReferralFacts {
                        received_at: received,
                        source,
                        deliberate_harm: harm,
                        possible_crime: crime,
                        interpreter_needed: false,
                    };
                    let age = now - received;
                    // Older referrals are worked and closed; recent ones open.
                    let open = age < Duration::days(3)
                        || (age < Duration::days(60) && rng.random_bool(0.02));
                    let workers = &pick.workers[team_ix];
                    let mut planned: Vec<(ActionKind, DateTime<Utc>)> = rules
                        .on_referral(&facts)?
                        .into_iter()
                        .map(|p| (p.kind, p.due_at))
                        .collect();
                    let mut r = store::referral_by_id(c, referral_id)?.expect("just inserted");
                    let decision = match rng.random_range(0..100) {
                        0..=24 => Decision::Nfa,
                        25..=44 => Decision::Advice,
                        45..=54 => Decision::OtherAgency,
                        55..=84 => Decision::Assessment,
                        _ => Decision::S47,
                    };
                    let decided = !open || rng.random_bool(0.3);
                    let decided_at = received + Duration::hours(rng.random_range(2..40));
                    if decided && decided_at < now {
                        r.state = decision.state();
                        r.decision = Some(decision);
                        r.decision_note = (decision == Decision::OtherAgency)
                            .then(|| "early help hub: family support (Rec 48)".into());
                        r.decided_at = Some(decided_at);
                        r.decided_by = Some(workers[0].clone());
                        r.primary_need = Some(PrimaryNeed::ALL[rng.random_range(1..9)]);
                        let has_sd = planned
                            .iter()
                            .any(|(k, _)| *k == ActionKind::StrategyDiscussion);
                        planned.extend(
                            rules
                                .on_decision(&facts, decision, decided_at, has_sd)?
                                .into_iter()
                                .map(|p| (p.kind, p.due_at)),
                        );
                        if !open && matches!(decision, Decision::Assessment | Decision::S47) {
                            r.assessed_at =
                                Some(decided_at + Duration::days(rng.random_range(3..20)));
                            if rng.random_bool(0.6) {
                                r.service_needed_at = r.assessed_at;
                                if rng.random_bool(0.8) {
                                    r.service_provided_at = r
                                        .assessed_at
                                        .map(|a| a + Duration::days(rng.random_range(1..30)));
                                }
                            }
                        }
                    }
                    if !open {
                        r.state = ReferralState::Closed;
                        let later = (received + Duration::days(rng.random_range(5..60))).min(now);
                        // No further action closes on the day it is decided
                        // (a census rule, 8569Q); other cases when worked.
                        r.closed_at = Some(match (r.decision, r.decided_at) {
                            (
                                Some(Decision::Nfa | Decision::Advice | Decision::OtherAgency),
                                Some(at),
                            ) => at,
                            _ => later,
                        });
                        r.closed_by = Some(workers[0].clone());
                        r.closure_reason = Some(match r.assessed_at {
                            Some(_) if r.service_needed_at.is_none() => {
                                ClosureReason::NfaAfterAssessment
                            }
                            Some(_) => ClosureReason::ServicesCeased,
                            None => ClosureReason::ServicesCeased,
                        });
                    }
                    store::update_referral(c, &r)?;
                    for (kind, due) in planned {
                        let owner = if kind == ActionKind::PassToDuty {
                            Some(taken_by.clone())
                        } else if rng.random_bool(if open { 0.6 } else { 1.0 }) {
                            Some(workers[rng.random_range(0..workers.len())].clone())
                        } else {
                            None
                        };
                        let id = store::insert_action(
                            c,
                            &NewAction {
                                referral_id,
                                team_id,
                                kind,
                                detail: None,
                                owner: owner.clone(),
                                created_at: received,
                                due_at: due,
                            },
                        )?;
                        let finished = !open
                            || kind == ActionKind::PassToDuty
                            || (due < now && rng.random_bool(0.7))
                            || kind == ActionKind::Decision && r.decided_at.is_some();
                        // The decision action is done only by a recorded decision.
                        let finished =
                            finished && !(kind == ActionKind::Decision && r.decided_at.is_none());
                        if finished {
                            let late = rng.random_bool(0.12);
                            let span = (due - received).num_seconds().max(120);
                            let done = if late {
                                due + Duration::minutes(rng.random_range(5..3000))
                            } else {
                                received + Duration::seconds(rng.random_range(60..span))
                            };
                            let done = done.min(now);
                            let mut a = store::action_by_id(c, id)?.expect("just inserted");
                            let end = End::new(EndKind::Done, due, done, done);
                            let reason = end.needs_reason().then(|| {
                                [
                                    "staff shortage on duty",
                                    "family not at home",
                                    "referrer unavailable",
                                    "awaiting police",
                                ][rng.random_range(0..4)]
                                .to_string()
                            });
                            let by = owner.clone().unwrap_or_else(|| workers[0].clone());
                            a.finish(&end, &by, "done".into(), reason);
                            store::update_action(c, &a)?;
                        } else {
                            local.open_actions += 1;
                        }
                    }
                    store::append_event(
                        c,
                        received,
                        &actor.real_login,
                        &taken_by,
                        &NewEvent {
                            kind: "referral_opened".into(),
                            child_id: Some(child_id),
                            referral_id: Some(referral_id),
                            summary: format!(
                                "referral {referral_id} opened (source {}) [demo]",
                                source.code()
                            ),
                            significant: true,
                            ..Default::default()
                        },
                    )?;
                    local.events += 1;
                }
            }
            Ok::<_, DeskError>((m, local))
        })?;
        made = m;
        progress(made, total);
        stats.referrals += s.referrals;
        stats.open_actions += s.open_actions;
        stats.events += s.events;
    }
    // A couple of unfinished calls, so the drafts count and resume path show.
    // Census details, so the demo's Children in Need return is complete.
    desk.store
        .write(|c| super::census::fill_demo(c, spec.seed, now))?;
    // Cases allocated to the workers who hold them (Rec 53), for the caseloads.
    desk.store
        .write(|c| super::allocation::fill_demo(c, spec.seed, now, &actor))?;
    // Screened referrals, agency checks, consent and escalations (issue 16).
    desk.store
        .write(|c| super::screening::fill_demo(c, &rules, spec.seed, now, &actor))?;
    // Households and strategy discussions (issue 16).
    super::household::fill_demo(desk, &pick.workers[0], now)?;
    Ok(stats)
}

fn pick_weighted(rng: &mut ChaCha8Rng) -> &'static ReferralSource {
    use ReferralSource::*;
    const W: &[(ReferralSource, u32)] = &[
        (Police, 28),
        (School, 18),
        (Family, 8),
        (Gp, 5),
        (HealthVisitor, 5),
        (AccidentEmergency, 4),
        (OtherHealth, 4),
        (Housing, 4),
        (LaSocialCare, 3),
        (AnotherLa, 2),
        (EarlyHelp, 4),
        (Acquaintance, 3),
        (SelfReferral, 2),
        (OtherIndividual, 2),
        (Anonymous, 3),
        (SchoolNurse, 2),
        (OtherLegal, 1),
        (Other, 1),
        (Unknown, 1),
    ];
    let total: u32 = W.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (s, w) in W {
        if x < *w {
            return s;
        }
        x -= w;
    }
    &W[0].0
}
