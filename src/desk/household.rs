//! The household of a referral (issue 16): people added with their role,
//! each adult matched against the adults of earlier referrals by the one
//! matcher (`domain::matching`, through `domain::household`), each sibling
//! against the children on file; their earlier involvement, with why, for
//! `referral show`, the referral screen and the call form's matches.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::command::Outcome;
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::household::{self, MemberRole, PersonInput};
use crate::domain::matching::{self, Candidate, Probe};
use crate::domain::permissions::Permission;
use crate::domain::time::london_date;
use crate::domain::{Actor, ReferralState};
use crate::store::{self, HouseholdMember, MemberOn, NewChild, NewEvent, NewMember, Referral};

/// How many earlier records of one person are listed.
const EARLIER_SHOWN: usize = 20;
/// Candidates read from the index for one person.
const CANDIDATES: i64 = 200;

/// Where a person (perhaps the same person) was recorded before, and why
/// the desk thinks it is them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Involvement {
    /// The household row there.
    pub member_id: i64,
    pub person_id: Option<i64>,
    pub referral_id: i64,
    /// That referral's child.
    pub child_id: i64,
    pub child: Option<String>,
    pub received_at: DateTime<Utc>,
    pub role: MemberRole,
    /// `as alleged perpetrator`, `as parent or carer`, `in another child's household`.
    pub involvement: String,
    /// The name and address as recorded there.
    pub name: String,
    pub address: Option<String>,
    pub score: u32,
    /// `same name and date of birth`, `same name, different address`.
    pub why: String,
    /// Linked as the same person, not only alike.
    pub same_person: bool,
}

/// One person of a referral's household and what is known of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdEntry {
    pub member: HouseholdMember,
    /// An adult: earlier households (perhaps) of the same person, the same
    /// person first. A sibling: where the child is named as a sibling on
    /// other referrals.
    pub earlier: Vec<Involvement>,
    /// A sibling: the child's own referrals.
    #[serde(default)]
    pub referrals: Vec<Referral>,
}

/// An adult on file who may be the adult being described (the call form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMatch {
    pub person_id: i64,
    /// The best of their records' scores.
    pub score: u32,
    pub why: String,
    /// Whether it is strong enough that a new person is not made blind.
    pub strong: bool,
    pub involvements: Vec<Involvement>,
}

fn involvement(on: MemberOn, seen: Option<&household::Seen>) -> Involvement {
    let m = on.member;
    Involvement {
        member_id: m.id,
        person_id: m.person_id,
        referral_id: m.referral_id,
        child_id: on.child_id,
        child: on.child,
        received_at: on.received_at,
        role: m.role,
        involvement: m.role.involvement().to_string(),
        name: m.name,
        address: m.address,
        score: seen.map(|s| s.score).unwrap_or(0),
        why: seen.map(|s| s.why.clone()).unwrap_or_default(),
        same_person: seen.is_some_and(|s| s.same_person),
    }
}

/// The earlier records of the adult `probe` describes (linked as `linked`),
/// leaving out the rows of `skip_referral` (the household being shown).
pub(crate) fn earlier_of(
    c: &Connection,
    probe: &Probe,
    linked: Option<i64>,
    skip_referral: Option<i64>,
) -> Result<Vec<Involvement>> {
    let terms = matching::search_terms(probe);
    let rows = store::adult_candidates(c, &terms, probe.dob, linked, CANDIDATES)?;
    let seen = household::earlier(probe, linked, &rows);
    let ids: Vec<i64> = seen.iter().map(|s| s.member_id).collect();
    let mut out = Vec::new();
    for on in store::members_on(c, &ids)? {
        if Some(on.member.referral_id) == skip_referral {
            continue;
        }
        let s = seen.iter().find(|s| s.member_id == on.member.id);
        out.push(involvement(on, s));
        if out.len() >= EARLIER_SHOWN {
            break;
        }
    }
    Ok(out)
}

fn sibling_elsewhere(
    c: &Connection,
    child_id: i64,
    skip_referral: i64,
) -> Result<Vec<Involvement>> {
    Ok(store::sibling_of(c, child_id)?
        .into_iter()
        .filter(|on| on.member.referral_id != skip_referral)
        .map(|on| {
            let mut i = involvement(on, None);
            i.why = "the same child, linked".into();
            i.same_person = true;
            i
        })
        .collect())
}

/// Where a child is named as a sibling on other children's referrals.
pub(crate) fn named_as_sibling(c: &Connection, child_id: i64) -> Result<Vec<Involvement>> {
    sibling_elsewhere(c, child_id, 0)
}

/// The adults (not removed) recorded on the households of `referrals` (one
/// child's), newest referral first.
pub(crate) fn adults_of_child(c: &Connection, referrals: &[Referral]) -> Result<Vec<Involvement>> {
    let mut out = Vec::new();
    let mut refs: Vec<&Referral> = referrals.iter().collect();
    refs.sort_by_key(|r| std::cmp::Reverse((r.received_at, r.id)));
    for r in refs {
        let ids: Vec<i64> = store::household_of_referral(c, r.id)?
            .into_iter()
            .filter(|m| m.person_id.is_some() && !m.is_removed())
            .map(|m| m.id)
            .collect();
        for on in store::members_on(c, &ids)? {
            let mut i = involvement(on, None);
            i.involvement = i.role.label().to_string();
            i.why = "in this child's household".into();
            out.push(i);
        }
    }
    Ok(out)
}

/// A referral's household with what is known of each person.
pub(crate) fn household_view(c: &Connection, referral_id: i64) -> Result<Vec<HouseholdEntry>> {
    let mut out = Vec::new();
    for m in store::household_of_referral(c, referral_id)? {
        let (earlier, referrals) = if m.is_removed() {
            (Vec::new(), Vec::new())
        } else if let Some(child_id) = m.child_id {
            (
                sibling_elsewhere(c, child_id, referral_id)?,
                store::referrals_of_child(c, child_id)?,
            )
        } else {
            let probe = Probe {
                name: Some(m.name.clone()),
                dob: m.dob,
                address: m.address.clone(),
            };
            (
                earlier_of(c, &probe, m.person_id, Some(referral_id))?,
                Vec::new(),
            )
        };
        out.push(HouseholdEntry {
            member: m,
            earlier,
            referrals,
        });
    }
    Ok(out)
}

fn open_referral(c: &Connection, id: i64) -> Result<Referral> {
    let r = store::referral_by_id(c, id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {id}")))?;
    if r.state == ReferralState::Closed {
        return Err(DeskError::Invalid(format!(
            "referral {id} is closed; its household is not changed"
        )));
    }
    Ok(r)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn add(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    input: &PersonInput,
    link: Option<i64>,
    new: bool,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordHousehold)?;
    let r = open_referral(conn, referral_id)?;
    let p = household::check_person(input, london_date(now))?;
    if link.is_some() && new {
        return Err(DeskError::Invalid(
            "give --link ID or --new, not both; nothing recorded".into(),
        ));
    }
    let (entry, _) = add_member(conn, &me.login, &r, &p, link, new, IfKnown::Refuse, now, ev)?;
    Ok(Outcome::MemberAdded { entry })
}

/// A strong match on file: person id, score, why.
pub(crate) type Strong = (i64, u32, String);

/// What adding a person does when they are not linked, not marked new, and
/// someone on file may be them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfKnown {
    /// `referral person add`: refuse, naming who, until --link or --new.
    Refuse,
    /// A call (never lost): record them as new and return the matches.
    RecordAsNew,
}

/// The one path that adds a checked person to a referral's household (the
/// referral open, the caller permitted): matching, linking, the row and its
/// event. Returns the entry and, with `IfKnown::RecordAsNew`, the strong
/// matches on file (person id, score, why) it recorded past.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_member(
    conn: &Connection,
    login: &str,
    r: &Referral,
    p: &household::CheckedPerson,
    link: Option<i64>,
    new: bool,
    if_known: IfKnown,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<(HouseholdEntry, Vec<Strong>)> {
    let mut noted = Vec::new();
    let probe = p.probe();
    let (person_id, child_id) = if p.role.is_child() {
        let child_id = match link {
            Some(id) => {
                if store::child_by_id(conn, id)?.is_none() {
                    return Err(DeskError::NotFound(format!("no child with id {id}")));
                }
                if id == r.child_id {
                    return Err(DeskError::Invalid(format!(
                        "child {id} is this referral's own child, not a sibling; nothing recorded"
                    )));
                }
                id
            }
            None => {
                if !new {
                    let terms = matching::search_terms(&probe);
                    let found = store::child_candidates(conn, &terms, p.dob, CANDIDATES)?;
                    let cands: Vec<Candidate> = found
                        .iter()
                        .filter(|ch| ch.id != r.child_id)
                        .map(|ch| Candidate {
                            id: ch.id,
                            name: ch.name.clone(),
                            dob: ch.dob,
                            address: ch.address.clone(),
                        })
                        .collect();
                    let strong: Vec<String> = matching::rank(&probe, &cands)
                        .into_iter()
                        .filter(matching::is_strong)
                        .map(|m| {
                            format!(
                                "child {} (score {}: {})",
                                m.id,
                                m.score,
                                household::why(&m.reasons)
                            )
                        })
                        .collect();
                    if !strong.is_empty() {
                        return Err(DeskError::Invalid(format!(
                            "this sibling may already be on file: {}; give --link CHILD_ID to \
                             link them, or --new for a new child; nothing recorded",
                            strong.join("; ")
                        )));
                    }
                }
                store::insert_child(
                    conn,
                    &NewChild {
                        name: Some(p.name.clone()),
                        dob: p.dob,
                        dob_approx_years: None,
                        expected_date: None,
                        address: p.address.clone(),
                        first_language: None,
                        interpreter_needed: false,
                    },
                    now,
                )?
            }
        };
        (None, Some(child_id))
    } else {
        let person_id = match link {
            Some(id) => {
                if !store::person_exists(conn, id)? {
                    return Err(DeskError::NotFound(format!("no person with id {id}")));
                }
                id
            }
            None => {
                if !new {
                    let terms = matching::search_terms(&probe);
                    let rows = store::adult_candidates(conn, &terms, p.dob, None, CANDIDATES)?;
                    let found = household::strong_people(&household::earlier(&probe, None, &rows));
                    let strong: Vec<String> = found
                        .iter()
                        .map(|(pid, score, why)| format!("person {pid} (score {score}: {why})"))
                        .collect();
                    if if_known == IfKnown::RecordAsNew {
                        noted = found;
                    } else if !strong.is_empty() {
                        return Err(DeskError::Invalid(format!(
                            "this person may already be known from an earlier referral: {}; \
                             give --link PERSON_ID if it is them, or --new for someone new; \
                             nothing recorded",
                            strong.join("; ")
                        )));
                    }
                }
                store::insert_person(conn, login, now)?
            }
        };
        (Some(person_id), None)
    };
    let id = store::insert_member(
        conn,
        &NewMember {
            referral_id: r.id,
            role: p.role,
            person_id,
            child_id,
            parental_responsibility: p.pr,
            name: p.name.clone(),
            dob: p.dob,
            address: p.address.clone(),
        },
        login,
        now,
    )?;
    let member = store::member_by_id(conn, id)?.expect("just added");
    ev(NewEvent {
        kind: "household_member_added".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} added to the household: {}{}",
            p.role.label(),
            p.name,
            p.pr.map(|x| format!(" (parental responsibility: {})", x.as_str()))
                .unwrap_or_default()
        ),
        after: Some(json!({"member": member})),
        significant: true,
        ..Default::default()
    })?;
    let entry = household_view(conn, r.id)?
        .into_iter()
        .find(|e| e.member.id == id)
        .expect("just added");
    Ok((entry, noted))
}

pub(crate) fn remove(
    conn: &Connection,
    actor: &Actor,
    member_id: i64,
    reason: &str,
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RemoveHouseholdMember)?;
    let m = store::member_by_id(conn, member_id)?
        .ok_or_else(|| DeskError::NotFound(format!("no household member with id {member_id}")))?;
    let r = open_referral(conn, m.referral_id)?;
    if m.is_removed() {
        return Err(DeskError::Invalid(format!(
            "household member {member_id} was already removed; nothing changed"
        )));
    }
    let reason = household::check_removal(reason)?;
    store::remove_member(conn, member_id, &me.login, &reason, now)?;
    let member = store::member_by_id(conn, member_id)?.expect("exists");
    ev(NewEvent {
        kind: "household_member_removed".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} removed from the household: {} ({reason})",
            m.role.label(),
            m.name
        ),
        before: Some(json!({"removed_at": null})),
        after: Some(
            json!({"member_id": member_id, "removed_at": member.removed_at,
            "removed_by": member.removed_by, "reason": reason}),
        ),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::MemberRemoved { member })
}

impl Desk {
    /// A referral's household with what is known of each person. The
    /// opening is logged as `referral show` logs it (Rec 58).
    pub fn household(
        &mut self,
        referral_id: i64,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Vec<HouseholdEntry>> {
        let child_id = self.child_of_referral(referral_id)?;
        self.open_record(
            child_id,
            Some(referral_id),
            "household",
            reason,
            Permission::ReadRecord,
            true,
            now,
        )?;
        self.store.read(|c| household_view(c, referral_id))
    }

    /// Adults on file who may be the adult a caller is describing, each with
    /// their earlier households and why (the call form's matches).
    pub fn person_matches(&mut self, probe: &Probe, limit: usize) -> Result<Vec<PersonMatch>> {
        self.gate(Permission::ReadMatches)?;
        if matching::search_terms(probe).is_empty() && probe.dob.is_none() {
            return Ok(Vec::new());
        }
        self.store.read(|c| {
            let all = earlier_of(c, probe, None, None)?;
            let mut out: Vec<PersonMatch> = Vec::new();
            for i in all {
                let Some(pid) = i.person_id else { continue };
                match out.iter_mut().find(|p| p.person_id == pid) {
                    Some(p) => p.involvements.push(i),
                    None => {
                        if out.len() >= limit {
                            continue;
                        }
                        out.push(PersonMatch {
                            person_id: pid,
                            score: i.score,
                            why: i.why.clone(),
                            strong: i.score >= matching::STRONG,
                            involvements: vec![i],
                        })
                    }
                }
            }
            Ok(out)
        })
    }
}

/// Demo households and strategy discussions, through the desk's own
/// commands (so every rule and event is as in use): an adult who is the
/// alleged perpetrator on one child's referral and, at another address, in
/// another child's household; parents with parental responsibility; a
/// sibling; strategy discussions with participants and action points (one
/// without a police manager, with the reason; one circulated).
pub(crate) fn fill_demo(desk: &mut Desk, workers: &[String], now: DateTime<Utc>) -> Result<()> {
    use crate::domain::strategy::{ActionPointInput, DiscussionInput, How, Participant};
    // The newest open referrals, deliberate harm or possible crime first.
    let open = desk
        .store
        .read(|c| Ok::<_, DeskError>(store::open_referrals_oversight(c, None)?))?;
    // Leave alone the referrals whose open actions belong to someone absent:
    // they are the demo's "needs cover" (Rec 50).
    let absent: Vec<String> = desk
        .staff(None)?
        .into_iter()
        .filter(|s| s.is_absent(now))
        .map(|s| s.login)
        .collect();
    let mut referrals: Vec<i64> = Vec::new();
    let mut rest: Vec<i64> = Vec::new();
    for (id, ..) in open.iter().rev() {
        let (r, actions) = desk.store.read(|c| {
            Ok::<_, DeskError>((
                store::referral_by_id(c, *id)?,
                store::actions_of_referral(c, *id)?,
            ))
        })?;
        if actions
            .iter()
            .any(|a| a.is_open() && a.owner.as_ref().is_some_and(|o| absent.contains(o)))
        {
            continue;
        }
        match r {
            Some(r) if r.deliberate_harm || r.possible_crime => referrals.push(r.id),
            Some(r) => rest.push(r.id),
            None => {}
        }
    }
    referrals.extend(rest);
    if referrals.len() < 2 || workers.len() < 2 {
        return Ok(());
    }
    let detail = |desk: &mut Desk, id: i64| desk.referral(id);
    let add = |desk: &mut Desk,
               referral_id: i64,
               name: &str,
               role: MemberRole,
               dob: Option<&str>,
               address: Option<String>,
               pr: Option<&str>,
               link: Option<i64>|
     -> Result<Option<HouseholdEntry>> {
        let out = desk.execute(
            super::Command::AddHouseholdMember {
                referral_id,
                person: PersonInput {
                    name: name.into(),
                    role: Some(role),
                    dob: dob.map(str::to_string),
                    address,
                    pr: pr.map(str::to_string),
                },
                link,
                new: link.is_none(),
            },
            now,
        )?;
        Ok(match out {
            Outcome::MemberAdded { entry } => Some(entry),
            _ => None,
        })
    };
    let a = detail(desk, referrals[0])?;
    let b = detail(desk, referrals[1])?;
    let surname = |d: &super::ReferralDetail| {
        d.child
            .name
            .as_deref()
            .and_then(|n| n.split_whitespace().last())
            .unwrap_or("Doe")
            .to_string()
    };
    let (sa, sb) = (surname(&a), surname(&b));
    add(
        desk,
        a.referral.id,
        &format!("Grace {sa}"),
        MemberRole::ParentCarer,
        Some("12/06/1990"),
        a.child.address.clone(),
        Some("yes"),
        None,
    )?;
    let dean = add(
        desk,
        a.referral.id,
        "Dean Harlow",
        MemberRole::AllegedPerpetrator,
        Some("14/03/1984"),
        a.child.address.clone(),
        None,
        None,
    )?
    .and_then(|e| e.member.person_id);
    let first = a
        .child
        .name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or("");
    let sibling = if first == "Rosa" { "Kai" } else { "Rosa" };
    add(
        desk,
        a.referral.id,
        &format!("{sibling} {sa}"),
        MemberRole::Sibling,
        Some("02/09/2021"),
        a.child.address.clone(),
        None,
        None,
    )?;
    add(
        desk,
        b.referral.id,
        &format!("Mary {sb}"),
        MemberRole::ParentCarer,
        None,
        b.child.address.clone(),
        Some("unknown"),
        None,
    )?;
    // The same man, at the other child's address: linked, so each record
    // shows the other, with why.
    add(
        desk,
        b.referral.id,
        "Dean Harlow",
        MemberRole::OtherAdult,
        Some("14/03/1984"),
        b.child.address.clone(),
        None,
        dean,
    )?;
    for (i, r) in [&a, &b].into_iter().enumerate() {
        let held = (r.referral.received_at + chrono::Duration::hours(5)).min(now);
        // Due over the next days, so the handover has some to show.
        let due = held.max(now - chrono::Duration::hours(2)) + chrono::Duration::days(1 + i as i64);
        let day = |t: DateTime<Utc>| crate::domain::time::london_date(t).format("%d/%m/%Y");
        let mut participants = vec![
            Participant::parse("Ruth Adeyemi;Children's Social Care;team manager;manager")?,
            Participant::parse("Owen Clarke;Children's Social Care;social worker")?,
            Participant::parse("DS Carol Price;Police;detective sergeant;manager")?,
            Participant::parse("Nia Hughes;Health;school nurse")?,
        ];
        let mut no_police = None;
        if i == 1 {
            participants[2] = Participant::parse("PC Owen Lloyd;Police;constable")?;
            no_police = Some("the on-call inspector was at another incident".to_string());
        }
        desk.execute(
            super::Command::RecordStrategyDiscussion {
                referral_id: r.referral.id,
                discussion: DiscussionInput {
                    held_at: held,
                    how: if i == 0 { How::Phone } else { How::Meeting },
                    participants,
                    s47: i == 0,
                    protective_action: if i == 0 {
                        "the child stays with the maternal grandmother while enquiries are made"
                            .into()
                    } else {
                        "no unsupervised contact with the adult named".into()
                    },
                    action_points: vec![
                        ActionPointInput::parse(&format!(
                            "see the child alone at school;{};{};{}",
                            workers[0],
                            day(due),
                            day(due)
                        ))?,
                        ActionPointInput::parse(&format!(
                            "police and health checks on the adults;{};{};{}",
                            workers[1],
                            day(due + chrono::Duration::days(1)),
                            day(due)
                        ))?,
                    ],
                    no_police_manager_reason: no_police,
                    no_social_care_manager_reason: None,
                },
                late_reason: Some("police could not join until later [demo]".into()),
            },
            now,
        )?;
    }
    // The first discussion's record went out; the second waits (handover).
    if let Some(d) = desk
        .store
        .read(|c| Ok::<_, DeskError>(store::discussions_of_referral(c, a.referral.id)?.pop()))?
    {
        let at = (d.held_at + chrono::Duration::hours(3)).min(now);
        desk.execute(
            super::Command::MarkStrategyCirculated {
                discussion_id: d.id,
                to: Some("all present and action point owners, by secure email".into()),
                at: Some(at),
                late_reason: Some("minutes typed up the next day [demo]".into()),
            },
            now,
        )?;
    }
    Ok(())
}
