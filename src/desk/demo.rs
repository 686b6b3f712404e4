//! Demo data: realistic teams, staff, children and a year of referrals.
//! Deterministic for a seed. Written through the store in large transactions
//! (one per 5,000 calls) so 100,000 referrals take seconds, with every rule-made
//! action and a whole event chain.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{Desk, DeskError, Result};
use rusqlite::Connection;

use crate::domain::clocks::{ReferralFacts, Rules};
use crate::domain::endings::{End, EndKind};
use crate::domain::time::london_date;
use crate::domain::{
    ActionKind, Actor, ClosureReason, Decision, PrimaryNeed, ReferralSource, ReferralState, Role,
};
use crate::store::{
    self, Action, Call, NewAction, NewChild, NewEvent, NewReferral, NewStaff, Referral, Referrer,
};

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
    // About 2 KiB of file per referral: the cache holds the whole file up
    // to 1 GiB (a million referrals make 1.9 GB).
    store::bulk::begin_fill(desk.store.conn(), spec.referrals as i64 * 2)?;
    let out = fill(desk, spec, Mode::Bulk, progress);
    let end = store::bulk::end_fill(desk.store.conn());
    let stats = out?;
    end?;
    Ok(stats)
}

/// As [`generate`], but the one-by-one way: each demo call in its own
/// synced transaction, each row through the ordinary store functions (a
/// referral inserted new, read back and updated with its decision and
/// closure; an action inserted open, read back and ended; each event
/// appended after reading the log's last), as the commands write them.
/// What the bulk fill must match row for row (a test compares the two);
/// slow, for small files.
pub fn generate_one_by_one(desk: &mut Desk, spec: &DemoSpec) -> Result<DemoStats> {
    if !desk.is_new()? {
        return Err(DeskError::Invalid(
            "demo data goes only into a new database".into(),
        ));
    }
    fill(desk, spec, Mode::OneByOne, &mut |_, _| {})
}

/// How the generated rows are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One transaction per demo call, rows inserted then updated.
    OneByOne,
    /// One transaction per batch, rows inserted whole, the chain's tail
    /// kept in memory.
    Bulk,
}

/// Referrals generated per chunk: a call's siblings never cross a chunk's
/// end, so the data depend on this, never on how transactions are grouped.
const CHUNK: u64 = 5000;

/// Chunks per transaction in bulk.
const BULK_CHUNKS: u64 = 4;

/// Where the generator's rows go, in one transaction.
enum Sink {
    OneByOne,
    Bulk(store::ChainTail, store::bulk::Deferred),
}

impl Sink {
    fn open(mode: Mode, c: &Connection) -> Result<Sink> {
        Ok(match mode {
            Mode::OneByOne => Sink::OneByOne,
            Mode::Bulk => Sink::Bulk(store::ChainTail::read(c)?, store::bulk::defer_derived(c)?),
        })
    }

    /// Ends the transaction's writes: in bulk, the report's cells added up.
    fn close(self, c: &Connection) -> Result<()> {
        if let Sink::Bulk(_, cells) = self {
            cells.flush(c)?;
        }
        Ok(())
    }

    /// Writes a referral in its final state `r` (its id is the one given).
    fn referral(&mut self, c: &Connection, r: &Referral) -> Result<i64> {
        match self {
            Sink::Bulk(..) => Ok(store::bulk::insert_referral_whole(c, r)?),
            Sink::OneByOne => {
                let id = store::insert_referral(
                    c,
                    &NewReferral {
                        call_id: r.call_id,
                        child_id: r.child_id,
                        team_id: r.team_id,
                        received_at: r.received_at,
                        source: r.source,
                        deliberate_harm: r.deliberate_harm,
                        possible_crime: r.possible_crime,
                    },
                )?;
                let mut back = store::referral_by_id(c, id)?.expect("just inserted");
                back.state = r.state;
                back.decision = r.decision;
                back.decision_note = r.decision_note.clone();
                back.decided_at = r.decided_at;
                back.decided_by = r.decided_by.clone();
                back.primary_need = r.primary_need;
                back.assessed_at = r.assessed_at;
                back.service_needed_at = r.service_needed_at;
                back.service_provided_at = r.service_provided_at;
                back.closed_at = r.closed_at;
                back.closed_by = r.closed_by.clone();
                back.closure_reason = r.closure_reason;
                store::update_referral(c, &back)?;
                Ok(id)
            }
        }
    }

    /// Writes an action, ended as `ending` says (end, by whom, late reason) or open.
    fn action(
        &mut self,
        c: &Connection,
        a: &NewAction,
        ending: Option<(End, String, Option<String>)>,
        child_name: Option<&str>,
    ) -> Result<i64> {
        match self {
            Sink::Bulk(..) => {
                let mut row = Action {
                    id: 0,
                    referral_id: a.referral_id,
                    team_id: a.team_id,
                    kind: a.kind,
                    detail: a.detail.clone(),
                    owner: a.owner.clone(),
                    created_at: a.created_at,
                    due_at: a.due_at,
                    done_at: None,
                    done_by: None,
                    outcome: None,
                    late_reason: None,
                    ended: None,
                    late: false,
                    recorded_at: None,
                };
                if let Some((end, by, reason)) = ending {
                    row.finish(&end, &by, "done".into(), reason);
                }
                Ok(store::bulk::insert_action_whole(c, &row, child_name)?)
            }
            Sink::OneByOne => {
                let id = store::insert_action(c, a)?;
                if let Some((end, by, reason)) = ending {
                    let mut row = store::action_by_id(c, id)?.expect("just inserted");
                    row.finish(&end, &by, "done".into(), reason);
                    store::update_action(c, &row)?;
                }
                Ok(id)
            }
        }
    }

    fn event(
        &mut self,
        c: &Connection,
        at: DateTime<Utc>,
        real: &str,
        acting: &str,
        ev: &NewEvent,
    ) -> Result<i64> {
        Ok(match self {
            Sink::Bulk(tail, _) => tail.append(c, at, real, acting, ev)?,
            Sink::OneByOne => store::append_event(c, at, real, acting, ev)?,
        })
    }
}

/// The demo's generator: the same draws from the seed whichever way the
/// rows are written.
struct Gen<'a> {
    spec: &'a DemoSpec,
    pick: StaffPick,
    rules: Rules,
    actor: Actor,
    rng: ChaCha8Rng,
    /// Children already on file, for re-referrals: (id, name, dob, address).
    known: Vec<(i64, Option<String>, Option<NaiveDate>, String)>,
}

fn fill(
    desk: &mut Desk,
    spec: &DemoSpec,
    mode: Mode,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoStats> {
    let rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let pick = setup(desk, spec)?;
    let mut g = Gen {
        spec,
        rules: desk.rules()?,
        actor: desk.actor().clone(),
        rng,
        known: Vec::new(),
        pick,
    };
    let now = spec.now;
    let total = spec.referrals as u64;
    let mut stats = DemoStats {
        renamed: g.pick.renamed.clone(),
        ..Default::default()
    };
    let mut made = 0u64;
    while made < total {
        // One transaction: a whole batch in bulk, one call one by one.
        let tx_end = match mode {
            Mode::Bulk => (made + CHUNK * BULK_CHUNKS).min(total),
            Mode::OneByOne => made + 1,
        };
        let (m, s) = desk.store.write(|c| {
            let mut sink = Sink::open(mode, c)?;
            let mut local = DemoStats::default();
            let mut m = made;
            while m < tx_end {
                let chunk_end = ((m / CHUNK + 1) * CHUNK).min(total);
                g.call(c, &mut sink, &mut m, chunk_end, &mut local)?;
            }
            sink.close(c)?;
            Ok::<_, DeskError>((m, local))
        })?;
        made = m;
        if mode == Mode::Bulk {
            progress(made, total);
        }
        stats.referrals += s.referrals;
        stats.open_actions += s.open_actions;
        stats.events += s.events;
    }
    // Census details, so the demo's Children in Need return is complete.
    desk.store
        .write(|c| super::census::fill_demo(c, spec.seed, now))?;
    // Cases allocated to the workers who hold them (Rec 53), for the caseloads.
    let actor = g.actor.clone();
    desk.store
        .write(|c| super::allocation::fill_demo(c, spec.seed, now, &actor))?;
    // Screened referrals, agency checks, consent and escalations (issue 16).
    desk.store
        .write(|c| super::screening::fill_demo(c, &g.rules, spec.seed, now, &actor))?;
    // Households and strategy discussions (issue 16).
    let workers = g.pick.workers[0].clone();
    super::household::fill_demo(desk, &workers, now)?;
    Ok(stats)
}

impl Gen<'_> {
    /// One call about one child or siblings (never past `chunk_end`), its
    /// referrals with their actions and events; `m` counts referrals made.
    fn call(
        &mut self,
        c: &Connection,
        sink: &mut Sink,
        m: &mut u64,
        chunk_end: u64,
        local: &mut DemoStats,
    ) -> Result<()> {
        let Gen {
            spec,
            pick,
            rules,
            actor,
            rng,
            known,
        } = self;
        let now = spec.now;
        let total = spec.referrals as u64;
        let span_secs = 365 * 24 * 3600i64;
        let batch_end = chunk_end;
        // Received times spread over the year, oldest first, in office hours mostly.
        let frac = (*m as f64 + rng.random::<f64>()) / total as f64;
        let mut received = now - Duration::seconds(span_secs - (frac * span_secs as f64) as i64);
        if rng.random_bool(0.8) {
            let d = london_date(received);
            let hour = rng.random_range(8..18);
            let local_t = d
                .and_hms_opt(hour, rng.random_range(0..60), 0)
                .expect("valid");
            if let Some(t) =
                chrono::TimeZone::from_local_datetime(&crate::domain::time::LONDON, &local_t)
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
        let source = *pick_weighted(rng);
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
            if *m >= batch_end {
                break;
            }
            *m += 1;
            let rereferral = !known.is_empty() && rng.random_bool(0.15);
            // The child and its name as written (the bulk insert of an
            // action carries the name; one by one, the store looks it up).
            let (child_id, child_name) = if rereferral {
                let k = &known[rng.random_range(0..known.len())];
                (k.0, k.1.clone())
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
                (id, child.name)
            };
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
            let open =
                age < Duration::days(3) || (age < Duration::days(60) && rng.random_bool(0.02));
            let workers = &pick.workers[team_ix];
            let mut planned: Vec<(ActionKind, DateTime<Utc>)> = rules
                .on_referral(&facts)?
                .into_iter()
                .map(|p| (p.kind, p.due_at))
                .collect();
            let mut r = Referral {
                id: 0,
                call_id,
                child_id,
                child: None,
                team_id,
                team: String::new(),
                received_at: received,
                source,
                deliberate_harm: harm,
                possible_crime: crime,
                state: ReferralState::New,
                decision: None,
                decision_note: None,
                decided_at: None,
                decided_by: None,
                primary_need: None,
                assessed_at: None,
                service_needed_at: None,
                service_provided_at: None,
                closed_at: None,
                closed_by: None,
                closure_reason: None,
                need_level: None,
                urgency: None,
            };
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
                    r.assessed_at = Some(decided_at + Duration::days(rng.random_range(3..20)));
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
                    (Some(Decision::Nfa | Decision::Advice | Decision::OtherAgency), Some(at)) => {
                        at
                    }
                    _ => later,
                });
                r.closed_by = Some(workers[0].clone());
                r.closure_reason = Some(match r.assessed_at {
                    Some(_) if r.service_needed_at.is_none() => ClosureReason::NfaAfterAssessment,
                    Some(_) => ClosureReason::ServicesCeased,
                    None => ClosureReason::ServicesCeased,
                });
            }
            let referral_id = sink.referral(c, &r)?;
            for (kind, due) in planned {
                let owner = if kind == ActionKind::PassToDuty {
                    Some(taken_by.clone())
                } else if rng.random_bool(if open { 0.6 } else { 1.0 }) {
                    Some(workers[rng.random_range(0..workers.len())].clone())
                } else {
                    None
                };
                let new = NewAction {
                    referral_id,
                    team_id,
                    kind,
                    detail: None,
                    owner: owner.clone(),
                    created_at: received,
                    due_at: due,
                };
                let finished = !open
                    || kind == ActionKind::PassToDuty
                    || (due < now && rng.random_bool(0.7))
                    || kind == ActionKind::Decision && r.decided_at.is_some();
                // The decision action is done only by a recorded decision.
                let finished =
                    finished && !(kind == ActionKind::Decision && r.decided_at.is_none());
                let ending = if finished {
                    let late = rng.random_bool(0.12);
                    let span = (due - received).num_seconds().max(120);
                    let done = if late {
                        due + Duration::minutes(rng.random_range(5..3000))
                    } else {
                        received + Duration::seconds(rng.random_range(60..span))
                    };
                    let done = done.min(now);
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
                    Some((end, by, reason))
                } else {
                    local.open_actions += 1;
                    None
                };
                sink.action(c, &new, ending, child_name.as_deref())?;
            }
            sink.event(
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
        Ok(())
    }
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
