//! Logging a call: one code path for `dutydesk call` and the call form.

use crate::domain::permissions::Permission;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::command::{
    CallInput, CallPerson, CallPersonRecorded, ChildInput, Outcome, PossibleMatch,
    ReferralWithActions,
};
use super::household::{self, IfKnown};
use super::{permit, staff_of, DeskError, Result};
use crate::domain::clocks::{ReferralFacts, Rules};
use crate::domain::endings::{End, EndKind};
use crate::domain::household::CheckedPerson;
use crate::domain::time::{london_date, parse_date};
use crate::domain::validate::{self, MAX_LINE, MAX_NAME, MAX_TEXT};
use crate::domain::{ActionKind, Actor, ReferralSource};
use crate::store::{self, Call, NewAction, NewChild, NewEvent, NewReferral, Referrer};

/// A call whose fields have passed validation.
pub(crate) struct CheckedCall {
    pub children: Vec<(NewChild, Option<i64>)>,
    pub concern: String,
    pub source: ReferralSource,
    pub referrer: Referrer,
    /// The adults named, each with the person on file it is, if linked.
    pub people: Vec<(CheckedPerson, Option<i64>)>,
}

/// One field of a call, for messages shown beside it (the call form) or
/// printed (the CLI): both come from the same checks below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallField {
    /// The call has no child at all.
    Children,
    ChildName(usize),
    ChildAddress(usize),
    /// Date of birth, approximate age or expected date.
    ChildDob(usize),
    ChildLanguage(usize),
    Concern,
    Source,
    ReferrerName,
    ReferrerRelationship,
    ReferrerAddress,
    ReferrerPhone,
    ReferrerEmail,
    /// An adult of the household named on the call.
    Person(usize),
}

type Checked<T> = std::result::Result<T, String>;

fn msg(e: crate::domain::DomainError) -> String {
    let crate::domain::DomainError::Invalid(m) = e;
    m
}

fn child_name(c: &ChildInput) -> Checked<Option<String>> {
    match &c.name {
        None => Ok(None),
        Some(n) => validate::required_line("child's name", n, MAX_NAME)
            .map(Some)
            .map_err(msg),
    }
}

fn child_address(c: &ChildInput) -> Checked<String> {
    validate::required_line(
        "child's address",
        c.address.as_deref().unwrap_or(""),
        MAX_LINE,
    )
    .map_err(msg)
}

type ChildDates = (
    Option<chrono::NaiveDate>,
    Option<u32>,
    Option<chrono::NaiveDate>,
);

/// Date of birth, approximate age (when no date of birth) and expected date.
fn child_dates(c: &ChildInput, today: chrono::NaiveDate) -> Checked<ChildDates> {
    let dob = match c.dob.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => Some(validate::date_of_birth(d, today).map_err(msg)?),
        None => None,
    };
    let expected_date = match c
        .expected_date
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(d) => {
            let d = parse_date(d).map_err(|_| {
                "expected date of birth is not a date; type it as dd/mm/yyyy".to_string()
            })?;
            if d < today - chrono::Days::new(31) || d > today + chrono::Days::new(300) {
                return Err("expected date of birth should be within the next ten months".into());
            }
            Some(d)
        }
        None => None,
    };
    if dob.is_some() && expected_date.is_some() {
        return Err("give a date of birth or an expected date (unborn), not both".into());
    }
    if let Some(a) = c.approx_age {
        if a > 18 {
            return Err(format!(
                "approximate age {a} is over 18: this desk is for children"
            ));
        }
    }
    let approx = if dob.is_some() { None } else { c.approx_age };
    Ok((dob, approx, expected_date))
}

fn child_language(c: &ChildInput) -> Checked<Option<String>> {
    validate::optional_line(
        "first language",
        c.first_language.as_deref().unwrap_or(""),
        100,
    )
    .map_err(msg)
}

/// An adult named on a call, by the household's one check; the call's
/// children are its children, so a sibling is named as a child.
fn call_person(p: &CallPerson, today: chrono::NaiveDate) -> Checked<CheckedPerson> {
    if p.person.role.is_some_and(|r| r.is_child()) {
        return Err("a sibling on this call is one of its children: add them as a child".into());
    }
    crate::domain::household::check_person(&p.person, today).map_err(msg)
}

fn concern(input: &CallInput) -> Checked<String> {
    validate::required_text("nature of concern", &input.concern, MAX_TEXT).map_err(msg)
}

fn source(input: &CallInput) -> Checked<ReferralSource> {
    match input.referrer.source.as_deref().map(str::trim) {
        None | Some("") => Ok(ReferralSource::Unknown),
        Some(s) => ReferralSource::parse(s).map_err(msg),
    }
}

fn referrer_line(what: &str, v: &Option<String>, max: usize) -> Checked<Option<String>> {
    validate::optional_line(what, v.as_deref().unwrap_or(""), max).map_err(msg)
}

fn check_phone(s: &str) -> Checked<Option<String>> {
    let p = validate::optional_line("referrer's phone", s, 40).map_err(msg)?;
    if let Some(p) = &p {
        if !p
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-.ext".contains(c))
            || p.chars().filter(|c| c.is_ascii_digit()).count() < 3
        {
            return Err(
                "referrer's phone should be digits (spaces, +, brackets and \"ext\" allowed)"
                    .into(),
            );
        }
    }
    Ok(p)
}

/// Every problem with a call, field by field, in form order; empty when the
/// call can be logged. `check_call` (used by `dutydesk call` and the form's
/// submit) refuses with the first of these.
pub fn call_problems(input: &CallInput, now: DateTime<Utc>) -> Vec<(CallField, String)> {
    let mut out = Vec::new();
    let today = london_date(now);
    if input.children.is_empty() {
        out.push((
            CallField::Children,
            "a call needs at least one child (or \"name not known\")".into(),
        ));
    }
    if input.children.len() > 20 {
        out.push((
            CallField::Children,
            "at most 20 children on one call".into(),
        ));
    }
    let mut put = |f: CallField, r: Checked<()>| {
        if let Err(m) = r {
            out.push((f, m));
        }
    };
    for (i, c) in input.children.iter().enumerate() {
        put(CallField::ChildName(i), child_name(c).map(drop));
        put(CallField::ChildAddress(i), child_address(c).map(drop));
        put(CallField::ChildDob(i), child_dates(c, today).map(drop));
        put(CallField::ChildLanguage(i), child_language(c).map(drop));
    }
    if input.people.len() > 20 {
        put(
            CallField::Person(20),
            Err("at most 20 adults on one call".into()),
        );
    }
    for (i, p) in input.people.iter().enumerate() {
        put(CallField::Person(i), call_person(p, today).map(drop));
    }
    let r = &input.referrer;
    put(CallField::Concern, concern(input).map(drop));
    put(CallField::Source, source(input).map(drop));
    put(
        CallField::ReferrerName,
        referrer_line("referrer's name", &r.name, MAX_NAME).map(drop),
    );
    put(
        CallField::ReferrerRelationship,
        referrer_line(
            "referrer's relationship or agency",
            &r.relationship,
            MAX_NAME,
        )
        .map(drop),
    );
    put(
        CallField::ReferrerAddress,
        referrer_line("referrer's address", &r.address, MAX_LINE).map(drop),
    );
    put(
        CallField::ReferrerPhone,
        check_phone(r.phone.as_deref().unwrap_or("")).map(drop),
    );
    put(
        CallField::ReferrerEmail,
        referrer_line("referrer's email", &r.email, MAX_NAME).map(drop),
    );
    out
}

/// Validates every field of a call; the first problem is returned in plain words.
pub(crate) fn check_call(input: &CallInput, now: DateTime<Utc>) -> Result<CheckedCall> {
    let problems = call_problems(input, now);
    if let Some((field, m)) = problems.into_iter().next() {
        let which = match field {
            CallField::ChildName(i)
            | CallField::ChildAddress(i)
            | CallField::ChildDob(i)
            | CallField::ChildLanguage(i)
                if input.children.len() > 1 =>
            {
                format!("child {}: ", i + 1)
            }
            CallField::Person(i) => format!("adult {}: ", i + 1),
            _ => String::new(),
        };
        return Err(DeskError::Invalid(format!("{which}{m}")));
    }
    // Every check passed above, so these cannot fail.
    let bad = |m: String| DeskError::Invalid(m);
    let today = london_date(now);
    let mut children = Vec::new();
    for c in &input.children {
        children.push((check_child(c, today).map_err(bad)?, c.existing_child_id));
    }
    let r = &input.referrer;
    let source = source(input).map_err(bad)?;
    let referrer = Referrer {
        name: referrer_line("referrer's name", &r.name, MAX_NAME).map_err(bad)?,
        relationship: referrer_line(
            "referrer's relationship or agency",
            &r.relationship,
            MAX_NAME,
        )
        .map_err(bad)?,
        source: Some(source.code().to_string()),
        address: referrer_line("referrer's address", &r.address, MAX_LINE).map_err(bad)?,
        phone: check_phone(r.phone.as_deref().unwrap_or("")).map_err(bad)?,
        email: referrer_line("referrer's email", &r.email, MAX_NAME).map_err(bad)?,
    };
    let mut people = Vec::new();
    for p in &input.people {
        people.push((call_person(p, today).map_err(bad)?, p.link));
    }
    Ok(CheckedCall {
        people,
        children,
        concern: concern(input).map_err(bad)?,
        source,
        referrer,
    })
}

fn check_child(c: &ChildInput, today: chrono::NaiveDate) -> Checked<NewChild> {
    let (dob, dob_approx_years, expected_date) = child_dates(c, today)?;
    Ok(NewChild {
        name: child_name(c)?,
        dob,
        dob_approx_years,
        expected_date,
        address: Some(child_address(c)?),
        first_language: child_language(c)?,
        interpreter_needed: c.interpreter_needed,
    })
}

pub(crate) fn log_call(
    conn: &Connection,
    rules: &Rules,
    actor: &Actor,
    input: CallInput,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::LogCall)?;
    let checked = check_call(&input, now)?;
    let received_at = input.received_at.unwrap_or(now);
    if received_at > now + chrono::Duration::minutes(5) {
        return Err(DeskError::Invalid(
            "the call cannot have been received in the future".into(),
        ));
    }
    let team = match &input.team {
        Some(t) => store::team_by_name(conn, t)?
            .ok_or_else(|| DeskError::NotFound(format!("no team called {t:?}")))?,
        None => match me.team_id {
            Some(id) => store::team_by_id(conn, id)?
                .ok_or_else(|| DeskError::NotFound("your team no longer exists".into()))?,
            None => store::list_teams(conn)?.into_iter().next().ok_or_else(|| {
                DeskError::Invalid("there is no team yet: run `dutydesk init`".into())
            })?,
        },
    };
    // Rec 39: passed to a duty worker or duty manager at work, or not at all.
    let passed_to = match &input.passed_verbally_to {
        Some(l) => Some(super::completion::duty_recipient(conn, l, now)?),
        None => None,
    };

    let mut call = Call {
        id: 0,
        status: "submitted".into(),
        started_at: received_at,
        taken_by: actor.login.clone(),
        team_id: Some(team.id),
        draft_json: None,
        draft_saved_at: None,
        concern: Some(checked.concern.clone()),
        deliberate_harm: input.deliberate_harm,
        possible_crime: input.possible_crime,
        referrer: checked.referrer.clone(),
        passed_verbally_at: passed_to.as_ref().map(|_| now),
        passed_verbally_to: passed_to.as_ref().map(|s| s.login.clone()),
        passed_verbally_by: passed_to.as_ref().map(|_| actor.login.clone()),
        // The submitted record is the written note to the duty team.
        passed_writing_at: Some(now),
        passed_writing_by: Some(actor.login.clone()),
    };
    let call_id = match input.draft_id {
        Some(id) => {
            let draft = store::call_by_id(conn, id)?
                .filter(|c| c.status == "draft")
                .ok_or_else(|| DeskError::NotFound(format!("no unfinished call {id}")))?;
            call.id = id;
            call.started_at = draft.started_at;
            store::update_call(conn, &call)?;
            id
        }
        None => store::insert_call(conn, &call)?,
    };
    let received_at = call.started_at;
    let ev = |e: NewEvent| super::append_event(conn, actor, now, e);
    ev(NewEvent {
        kind: "call_logged".into(),
        summary: format!(
            "call logged by {} about {} child(ren); source {}",
            actor.login,
            checked.children.len(),
            checked.source.code()
        ),
        after: Some(
            json!({"call_id": call_id, "received_at": received_at, "source": checked.source.code(),
            "deliberate_harm": input.deliberate_harm, "possible_crime": input.possible_crime}),
        ),
        significant: true,
        ..Default::default()
    })?;

    let mut out = Vec::new();
    for (child, existing) in &checked.children {
        let child_id = match existing {
            Some(id) => {
                let mut known = store::child_by_id(conn, *id)?
                    .ok_or_else(|| DeskError::NotFound(format!("no child with id {id}")))?;
                let before =
                    json!({"name": known.name, "address": known.address, "dob": known.dob});
                if child.name.is_some() {
                    known.name = child.name.clone();
                }
                known.address = child.address.clone().or(known.address);
                known.dob = child.dob.or(known.dob);
                known.first_language = child.first_language.clone().or(known.first_language);
                known.interpreter_needed |= child.interpreter_needed;
                store::update_child(conn, &known)?;
                ev(NewEvent {
                    kind: "child_linked".into(),
                    child_id: Some(*id),
                    summary: "new call linked to this child's earlier record".into(),
                    before: Some(before),
                    after: Some(
                        json!({"name": known.name, "address": known.address, "dob": known.dob}),
                    ),
                    significant: true,
                    ..Default::default()
                })?;
                *id
            }
            None => store::insert_child(conn, child, now)?,
        };
        let referral_id = store::insert_referral(
            conn,
            &NewReferral {
                call_id,
                child_id,
                team_id: team.id,
                received_at,
                source: checked.source,
                deliberate_harm: input.deliberate_harm,
                possible_crime: input.possible_crime,
            },
        )?;
        let facts = ReferralFacts {
            received_at,
            source: checked.source,
            deliberate_harm: input.deliberate_harm,
            possible_crime: input.possible_crime,
            interpreter_needed: child.interpreter_needed,
        };
        let planned = rules.on_referral(&facts)?;
        let mut kinds = Vec::new();
        for p in &planned {
            let mut a = NewAction {
                referral_id,
                team_id: team.id,
                kind: p.kind,
                detail: None,
                owner: None,
                created_at: now,
                due_at: p.due_at,
            };
            if p.kind == ActionKind::PassToDuty {
                a.owner = Some(actor.login.clone());
            }
            let id = store::insert_action(conn, &a)?;
            if p.kind == ActionKind::PassToDuty {
                let late_reason = validate::late_reason(input.passed_late_reason.as_deref())?;
                let end = End::new(EndKind::Done, p.due_at, now, now);
                // Passed after the hour needs its reason (Rec 35, Rec 39):
                // without one the call is still logged, and its pass to duty
                // stays open (overdue) for `dutydesk action pass` to record.
                let ends = passed_to
                    .as_ref()
                    .filter(|_| !end.needs_reason() || late_reason.is_some());
                if let Some(to) = ends {
                    let mut act = store::action_by_id(conn, id)?.expect("just inserted");
                    act.finish(
                        &end,
                        &actor.login,
                        format!(
                            "passed verbally to {} ({}) and in writing",
                            to.display_name, to.login
                        ),
                        late_reason,
                    );
                    store::update_action(conn, &act)?;
                }
            }
            kinds.push(json!({"kind": p.kind.as_str(), "due_at": p.due_at}));
        }
        ev(NewEvent {
            kind: "referral_opened".into(),
            child_id: Some(child_id),
            referral_id: Some(referral_id),
            summary: format!(
                "referral {referral_id} opened (source {}{}{})",
                checked.source.code(),
                if input.deliberate_harm {
                    ", deliberate harm alleged"
                } else {
                    ""
                },
                if input.possible_crime {
                    ", possible crime"
                } else {
                    ""
                }
            ),
            after: Some(json!({"call_id": call_id, "team": team.name, "actions": kinds})),
            significant: true,
            ..Default::default()
        })?;
        let referral = store::referral_by_id(conn, referral_id)?.expect("just inserted");
        let actions = store::actions_of_referral(conn, referral_id)?;
        out.push(ReferralWithActions { referral, actions });
    }
    // The adults named on the call, on every referral's household: the
    // first referral matches them (a strong match not linked is recorded as
    // new and noted, never refused: a call is never lost); the others link
    // the same person.
    let mut people = Vec::new();
    for (p, link) in &checked.people {
        let mut recorded = CallPersonRecorded {
            name: p.name.clone(),
            person_id: *link,
            role: p.role,
            member_ids: Vec::new(),
            linked: link.is_some(),
            possible_matches: Vec::new(),
        };
        for rw in &out {
            let (entry, noted) = household::add_member(
                conn,
                &me.login,
                &rw.referral,
                p,
                recorded.person_id,
                false,
                IfKnown::RecordAsNew,
                now,
                &ev,
            )?;
            recorded.person_id = entry.member.person_id;
            recorded.member_ids.push(entry.member.id);
            recorded
                .possible_matches
                .extend(
                    noted
                        .into_iter()
                        .map(|(person_id, score, why)| PossibleMatch {
                            person_id,
                            score,
                            why,
                        }),
                );
        }
        people.push(recorded);
    }
    Ok(Outcome::CallLogged {
        call_id,
        referrals: out,
        people,
    })
}
