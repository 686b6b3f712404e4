//! How each result looks on the command line.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::output::{print, Format, Table};
use crate::desk::{ChildMatch, EventHead, QueueRow, Staff};
use crate::desk::{Outcome, ReferralDetail, VerifyReport};
use crate::domain::matching;
use crate::domain::replica::LogPoint;
use crate::domain::time::{countdown, fmt_long, fmt_rfc3339, fmt_short};
use crate::domain::validate::inert;

pub fn outcome(o: &Outcome) {
    if let Some(text) = super::screening::outcome_text(o) {
        print!("{text}");
        return;
    }
    match o {
        Outcome::MemberAdded { entry } => print!("{}", household_entry(entry, true)),
        Outcome::MemberRemoved { member } => println!(
            "household member {} ({}) of referral {} marked removed: {}",
            member.id,
            member.role.label(),
            member.referral_id,
            inert(member.removed_reason.as_deref().unwrap_or(""))
        ),
        Outcome::StrategyRecorded {
            discussion: d,
            ended_action,
            circulation_action,
            started,
            notes,
        } => {
            println!(
                "strategy discussion {} recorded on referral {} (held {}, {}; section 47: {})",
                d.id,
                d.referral_id,
                fmt_long(d.held_at),
                d.how.as_str(),
                if d.s47 { "yes" } else { "no" }
            );
            match ended_action {
                Some(a) => println!("  ended the strategy_discussion action {a}"),
                None => println!("  no strategy_discussion action was open"),
            }
            for a in &d.action_points {
                println!(
                    "  action point {}: {} ({}), due {}, first review {} (Rec 51)",
                    a.action_id,
                    inert(&a.what),
                    inert(&a.owner),
                    fmt_long(a.due_at),
                    a.review_on.format("%d/%m/%Y")
                );
            }
            if let Some(c) = circulation_action {
                println!(
                    "  circulation: action {c}; when sent, `dutydesk strategy circulated {}` (Rec 51)",
                    d.id
                );
            }
            for a in started {
                println!("  started action {a}");
            }
            for n in notes {
                println!("  note: {n}");
            }
        }
        Outcome::StrategyCirculated { discussion: d } => println!(
            "strategy discussion {} circulated {}{}",
            d.id,
            d.circulated_at.map(fmt_long).unwrap_or_default(),
            d.circulated_to
                .as_deref()
                .map(|t| format!(" to {}", inert(t)))
                .unwrap_or_default()
        ),
        Outcome::Done { summary } => println!("{summary}"),
        Outcome::DraftSaved { draft_id } => println!("draft {draft_id} saved"),
        Outcome::ActionChanged { action } => println!(
            "action {} ({}): owner {}, due {}{}",
            action.id,
            action.kind,
            action.owner.as_deref().unwrap_or("UNALLOCATED"),
            fmt_long(action.due_at),
            action
                .done_at
                .map(|d| format!(
                    ", {} {}{}",
                    action.ended.map(|e| e.label()).unwrap_or("done"),
                    fmt_long(d),
                    if action.late && !action.is_cancelled() {
                        " LATE"
                    } else {
                        ""
                    }
                ))
                .unwrap_or_default()
        ),
        Outcome::ReferralChanged { referral } => {
            println!(
                "referral {}: {}",
                referral.referral.id,
                referral.referral.state.label()
            );
            for a in referral.actions.iter().filter(|a| a.is_open()) {
                println!("  action {} {} due {}", a.id, a.kind, fmt_long(a.due_at));
            }
        }
        Outcome::CallLogged {
            call_id, referrals, ..
        } => {
            println!("call {call_id} logged");
            for r in referrals {
                println!("referral {}", r.referral.id);
            }
        }
        Outcome::Allocated {
            allocation: a,
            moved,
            kept,
            caseload: c,
            referral_allocated,
            warnings,
        } => {
            let mut out = format!(
                "referral {} allocated to {}{}: expected by {}, review {}; new to them until \
                 they accept it (`dutydesk referral accept {}`)\n",
                a.referral_id,
                a.worker,
                a.worker_name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                a.by.format("%d/%m/%Y"),
                a.review.format("%d/%m/%Y"),
                a.referral_id
            );
            for m in moved {
                out.push_str(&format!(
                    "  action {} {} due {}: now {}'s\n",
                    m.id,
                    m.kind,
                    fmt_long(m.due_at),
                    a.worker
                ));
            }
            for k in kept {
                out.push_str(&format!(
                    "  action {} {} stays with {}\n",
                    k.id,
                    k.kind,
                    k.owner.as_deref().unwrap_or("nobody")
                ));
            }
            out.push_str(&format!(
                "{}: {} open case(s){}, {} open action(s), {} overdue\n",
                c.login,
                c.open_referrals,
                c.ceiling
                    .map(|n| format!(" (ceiling {n})"))
                    .unwrap_or_default(),
                c.open_actions,
                c.overdue
            ));
            if !referral_allocated {
                out.push_str("the referral still counts as unallocated\n");
            }
            for w in warnings {
                out.push_str(&format!("WARNING: {w}\n"));
            }
            print!("{}", super::output::inert_keep_newlines(&out));
        }
        // Printed by `screening::outcome_text` above.
        Outcome::Screened { .. }
        | Outcome::CheckAnswered { .. }
        | Outcome::ConsentRecorded { .. }
        | Outcome::Escalated { .. } => {}
    }
}

/// Possible earlier records of the children on a call (stderr when the call
/// is refused, so a script's stdout stays clean).
pub fn earlier_records(earlier: &[(usize, ChildMatch)], now: DateTime<Utc>) -> std::io::Result<()> {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    for line in earlier_lines(earlier, now) {
        writeln!(err, "{line}")?;
    }
    Ok(())
}

fn earlier_lines(earlier: &[(usize, ChildMatch)], now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if earlier.is_empty() {
        return out;
    }
    out.push("Possible earlier records (start-again check):".to_string());
    for (i, m) in earlier {
        let c = &m.child;
        let open = m.referrals.iter().filter(|r| r.closed_at.is_none()).count();
        let last = m.referrals.last().map(|r| {
            format!(
                "last referral {} received {}, {}",
                r.id,
                r.received_at.format("%d/%m/%Y"),
                r.state.label()
            )
        });
        out.push(inert(&format!(
            "  child {} of this call: child {} {} · born {} · {} · score {}{} · {} referral(s), \
             {open} open{} — {}",
            i + 1,
            c.id,
            c.name.as_deref().unwrap_or("(name not known)"),
            c.dob
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_else(|| "?".into()),
            c.address.as_deref().unwrap_or("address not known"),
            m.matched.score,
            if matching::is_strong(&m.matched) {
                " STRONG"
            } else {
                ""
            },
            m.referrals.len(),
            last.map(|l| format!("; {l}")).unwrap_or_default(),
            m.matched.reasons.join(", ")
        )));
    }
    let _ = now;
    out
}

/// The adults named on a call, as recorded, and who on file each may be.
fn people_lines(people: &[crate::desk::CallPersonRecorded]) -> Vec<String> {
    let mut out = Vec::new();
    for p in people {
        out.push(format!(
            "{} ({}): person {}{}, on household row(s) {}",
            inert(&p.name),
            p.role.label(),
            p.person_id.map(|i| i.to_string()).unwrap_or_default(),
            if p.linked { ", linked as named" } else { "" },
            p.member_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for m in &p.possible_matches {
            out.push(format!(
                "  may already be known: person {} (score {}: {}); recorded as someone new, see \
                 the household on `dutydesk referral show`",
                m.person_id,
                m.score,
                inert(&m.why)
            ));
        }
    }
    out
}

pub fn call_logged(
    format: Format,
    o: &Outcome,
    earlier: &[(usize, ChildMatch)],
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    let Outcome::CallLogged {
        call_id,
        referrals,
        people,
    } = o
    else {
        outcome(o);
        return Ok(());
    };
    match format {
        Format::Json => {
            let earlier: Vec<_> = earlier
                .iter()
                .map(|(i, m)| {
                    json!({"for_child": i + 1, "child_id": m.child.id, "score": m.matched.score,
                        "strong": matching::is_strong(&m.matched), "reasons": m.matched.reasons,
                        "child": m.child, "referrals": m.referrals})
                })
                .collect();
            print(
                format,
                &json!({"call_id": call_id, "referrals": referrals, "earlier_records": earlier,
                    "people": people}),
                Table::default,
            )
        }
        _ => {
            let mut t = Table::new(&[
                "referral",
                "child",
                "action",
                "kind",
                "due (London)",
                "due_at",
            ]);
            for r in referrals {
                for a in &r.actions {
                    t.row(vec![
                        r.referral.id.to_string(),
                        r.referral
                            .child
                            .clone()
                            .unwrap_or_else(|| "(name not known)".into()),
                        a.id.to_string(),
                        a.kind.to_string(),
                        fmt_long(a.due_at),
                        fmt_rfc3339(a.due_at),
                    ]);
                }
            }
            print(format, &(), || t)?;
            if format == Format::Table {
                for line in earlier_lines(earlier, now) {
                    println!("{line}");
                }
                for line in people_lines(people) {
                    println!("{line}");
                }
            }
            Ok(())
        }
    }
}

pub fn queue(format: Format, rows: &[QueueRow], now: DateTime<Utc>) -> std::io::Result<()> {
    print(format, &rows, || {
        let mut t = Table::new(&[
            "action",
            "referral",
            "child",
            "kind",
            "owner",
            "due",
            "countdown",
            "team",
            "rag",
        ]);
        for r in rows {
            t.row(vec![
                r.action_id.to_string(),
                r.referral_id.to_string(),
                r.child.clone().unwrap_or_else(|| "(name not known)".into()),
                r.kind.to_string(),
                match (&r.owner, r.unallocated) {
                    (Some(o), _) if r.owner_absent => format!("{o} (ABSENT: needs cover)"),
                    (Some(o), Some(why)) => format!("{o} (UNALLOCATED: {})", why.label()),
                    (Some(o), None) => o.clone(),
                    (None, _) => "UNALLOCATED".into(),
                },
                match format {
                    Format::Csv => fmt_rfc3339(r.due_at),
                    _ => fmt_short(r.due_at),
                },
                countdown(r.due_at, now),
                r.team.clone(),
                r.urgency.map(|u| u.as_str()).unwrap_or("-").to_string(),
            ]);
        }
        t
    })
}

pub fn referral(format: Format, d: &ReferralDetail, now: DateTime<Utc>) -> std::io::Result<()> {
    if format == Format::Json {
        return print(format, d, Table::default);
    }
    let r = &d.referral;
    let mut out = String::new();
    out.push_str(&format!(
        "Referral {} — {} — {}\n",
        r.id,
        d.child.name.as_deref().unwrap_or("(name not known)"),
        r.state.label()
    ));
    out.push_str(&format!(
        "received {} · source {} ({}) · team {}{}{}\n",
        fmt_long(r.received_at),
        r.source.code(),
        r.source.label(),
        r.team,
        if r.deliberate_harm {
            " · DELIBERATE HARM ALLEGED"
        } else {
            ""
        },
        if r.possible_crime {
            " · POSSIBLE CRIME"
        } else {
            ""
        }
    ));
    out.push_str(&format!(
        "child {}: dob {} · address {} · language {}\n",
        d.child.id,
        d.child
            .dob
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| "not known".into()),
        d.child.address.as_deref().unwrap_or("not known"),
        d.child.first_language.as_deref().unwrap_or("not recorded")
    ));
    match &d.allocation {
        Some(a) => out.push_str(&format!(
            "allocated to {}{} by {} {}{}: {}; expected by {}, review {}{}\n",
            a.worker,
            a.worker_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            a.allocated_by,
            fmt_short(a.allocated_at),
            if a.is_new() {
                " · NEW: not yet accepted"
            } else {
                ""
            },
            a.expected,
            a.by.format("%d/%m/%Y"),
            a.review.format("%d/%m/%Y"),
            a.manager_reason
                .as_deref()
                .map(|m| format!("; held by a manager because: {m}"))
                .unwrap_or_default()
        )),
        None => out.push_str("not allocated to a worker (Rec 53)\n"),
    }
    match d.oversight.last() {
        Some(o) => out.push_str(&format!(
            "last overseen {} by {} ({}; Rec 45)\n",
            fmt_short(o.recorded_at),
            o.recorded_by,
            o.kind.as_str()
        )),
        None if !d.events.is_empty() => out.push_str("never overseen (Rec 45)\n"),
        None => {}
    }
    if let Some(t) = &d.transfer {
        out.push_str(&format!(
            "IN TRANSFER (Rec 42) from {} to {}, asked {} by {}: {}; still {}'s until {} accepts\n",
            t.from_team,
            t.to_team,
            fmt_short(t.requested_at),
            t.requested_by,
            t.reason,
            t.from_team,
            t.to_team
        ));
    }
    if let Some(p) = d.awaiting_authorisation() {
        out.push_str(&format!(
            "AWAITING AUTHORISATION (Rec 25): {} proposed by {} {}{}\n",
            match p.outcome {
                Some(o) => format!("outcome \"{}\"", o.label()),
                None => "no further action".into(),
            },
            p.proposed_by,
            fmt_short(p.proposed_at),
            p.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ));
    }
    out.push_str(&super::screening::referral_sections(d));
    let mut t = Table::new(&["action", "kind", "owner", "due", "status"]);
    for a in &d.actions {
        t.row(vec![
            a.id.to_string(),
            a.kind.to_string(),
            a.owner.clone().unwrap_or_else(|| "UNALLOCATED".into()),
            fmt_short(a.due_at),
            match a.done_at {
                Some(at) => format!(
                    "{} {}{}",
                    a.ended.map(|e| e.label()).unwrap_or("done"),
                    fmt_short(at),
                    if a.late && !a.is_cancelled() {
                        " (late)"
                    } else {
                        ""
                    }
                ),
                None => countdown(a.due_at, now),
            },
        ]);
    }
    out.push_str("\nActions\n");
    out.push_str(&t.to_text());
    if !d.previous.is_empty() {
        out.push_str("\nEarlier referrals of this child\n");
        let mut p = Table::new(&["referral", "received", "outcome"]);
        for e in &d.previous {
            p.row(vec![
                e.id.to_string(),
                fmt_short(e.received_at),
                e.state.label().into(),
            ]);
        }
        out.push_str(&p.to_text());
    }
    if !d.named_as_sibling.is_empty() {
        out.push_str("\nNamed as a sibling on other referrals\n");
        for i in &d.named_as_sibling {
            out.push_str(&format!(
                "  referral {} ({}), child {}{}\n",
                i.referral_id,
                fmt_short(i.received_at),
                i.child_id,
                i.child
                    .as_deref()
                    .map(|c| format!(" {}", inert(c)))
                    .unwrap_or_default()
            ));
        }
    }
    out.push_str("\nHousehold\n");
    if d.household.is_empty() {
        out.push_str(&format!(
            "  none recorded (`dutydesk referral person add {} --name … --role …`)\n",
            r.id
        ));
    }
    for e in &d.household {
        for line in household_entry(e, true).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if !d.strategy.is_empty() {
        out.push_str("\nStrategy discussions (Rec 51, 93)\n");
        for s in &d.strategy {
            out.push_str(&format!(
                "  {} held {} ({}): section 47 {}; manager from each agency {}; {} action \
                 point(s); {}\n",
                s.id,
                fmt_short(s.held_at),
                s.how.as_str(),
                if s.s47 { "yes" } else { "no" },
                if s.manager_from_each() { "yes" } else { "NO" },
                s.action_points.len(),
                match s.circulated_at {
                    Some(t) => format!("circulated {}", fmt_short(t)),
                    None => "NOT YET CIRCULATED".into(),
                }
            ));
            for a in &s.action_points {
                out.push_str(&format!(
                    "    action {}: {} ({}), due {}, review {}{}\n",
                    a.action_id,
                    inert(&a.what),
                    inert(&a.owner),
                    fmt_short(a.due_at),
                    a.review_on.format("%d/%m/%Y"),
                    match a.done_at {
                        Some(_) if a.late => " · done late",
                        Some(_) => " · done",
                        None => "",
                    }
                ));
            }
        }
    }
    out.push_str("\nChronology\n");
    let mut c = Table::new(&["when", "who", "what"]);
    for e in d.events.iter().filter(|e| e.significant) {
        c.row(vec![
            fmt_short(e.at),
            e.acting_login.clone(),
            e.summary.clone(),
        ]);
    }
    out.push_str(&c.to_text());
    match format {
        Format::Csv => print(format, &(), || t),
        _ => {
            print!("{}", super::output::inert_keep_newlines(&out));
            Ok(())
        }
    }
}

pub fn staff(format: Format, list: &[Staff], now: DateTime<Utc>) -> std::io::Result<()> {
    print(format, &list, || {
        let mut t = Table::new(&["login", "name", "role", "team", "status"]);
        for s in list {
            t.row(vec![
                s.login.clone(),
                s.display_name.clone(),
                s.role.to_string(),
                s.team.clone().unwrap_or_default(),
                if !s.active {
                    "inactive".into()
                } else if s.is_absent(now) {
                    match s.absent_until {
                        Some(u) => format!("absent until {}", fmt_short(u)),
                        None => "absent, no end date".into(),
                    }
                } else {
                    "available".into()
                },
            ]);
        }
        t
    })
}

pub fn head(format: Format, h: &EventHead) -> std::io::Result<()> {
    if format == Format::Table {
        // One line, the hash whole: it is copied onto paper and compared.
        // The hash comes from the file: a tampered one must not drive the terminal.
        println!(
            "head: {} events, last {}, hash {}",
            h.count,
            h.last_id,
            inert(&h.hash)
        );
        return Ok(());
    }
    print(format, h, || {
        let mut t = Table::new(&["events", "last event", "hash"]);
        t.row(vec![
            h.count.to_string(),
            h.last_id.to_string(),
            h.hash.clone(),
        ]);
        t
    })
}

/// One event's place in the log (`verify --event N`), the hash whole.
pub fn log_point(format: Format, p: &LogPoint) -> std::io::Result<()> {
    if format == Format::Table {
        println!(
            "event {}: written {}, hash {}",
            p.id,
            fmt_long(p.at),
            inert(&p.hash)
        );
        return Ok(());
    }
    print(format, p, || {
        let mut t = Table::new(&["event", "at", "hash"]);
        t.row(vec![p.id.to_string(), fmt_rfc3339(p.at), p.hash.clone()]);
        t
    })
}

pub fn verify(format: Format, r: &VerifyReport) -> std::io::Result<()> {
    if format == Format::Json {
        return print(format, r, Table::default);
    }
    println!(
        "file integrity: {}",
        if r.integrity == ["ok"] {
            "ok".to_string()
        } else {
            r.integrity.join("; ")
        }
    );
    match &r.chain.first_broken {
        None => println!("event log: {} events, chain whole", r.chain.events),
        Some((id, why)) => println!("event log: BROKEN at event {id}: {why}"),
    }
    let s = &r.state;
    if s.rows_total == 0 {
        println!(
            "records: {} rows checked, all match their seals ({} seals)",
            s.rows_checked, s.seals
        );
    } else {
        println!(
            "records: {} of {} rows DIFFER from their seals:",
            s.rows_total, s.rows_checked
        );
        for p in &s.rows {
            println!("  {}", inert(&p.why));
        }
        if s.rows_total > s.rows.len() as i64 {
            println!("  … and {} more", s.rows_total - s.rows.len() as i64);
        }
    }
    match &s.chain_broken {
        None => println!("seal chain: {} seals, whole", s.seals),
        Some(b) => println!(
            "seal chain: BROKEN at seal {}: {}",
            b.seal_id,
            inert(&b.why)
        ),
    }
    match (s.keyed_from_event, s.checked_with_key) {
        (Some(e), true) => println!("key: checked with the server's key (keyed from event {e})"),
        (None, true) => println!("key: the server's key was given, but the log is not keyed"),
        (_, false) => match &s.unchecked {
            Some(u) => println!("key: NOT CHECKED: {}", inert(u)),
            None => println!("key: none (this log is not keyed)"),
        },
    }
    if s.handovers.is_empty() {
        println!("handovers: every recorded head is in the log");
    } else {
        for h in &s.handovers {
            println!("handovers: {}", inert(&h.why));
        }
    }
    if r.derived.is_empty() {
        println!(
            "derived counts: the queue's counts, allocation and monthly roll-up agree \
             with their records"
        );
    } else {
        for d in &r.derived {
            println!("derived counts: DIFFER: {}", inert(d));
        }
    }
    println!(
        "head: {} events, last {}, hash {}",
        r.head.count,
        r.head.last_id,
        inert(&r.head.hash)
    );
    Ok(())
}

/// One person of a household as text: role, name, parental responsibility,
/// and (with `earlier`) what is known of them from other referrals, with why.
pub fn household_entry(e: &crate::desk::HouseholdEntry, earlier: bool) -> String {
    let m = &e.member;
    let mut o = format!(
        "{} {}: {}{}{}{}{}\n",
        if m.child_id.is_some() {
            "sibling"
        } else {
            "person"
        },
        m.id,
        inert(&m.name),
        format_args!(" · {}", m.role.label()),
        m.parental_responsibility
            .map(|p| format!(" · parental responsibility: {}", p.as_str()))
            .unwrap_or_default(),
        m.dob
            .map(|d| format!(" · dob {}", d.format("%d/%m/%Y")))
            .unwrap_or_default(),
        m.address
            .as_deref()
            .map(|a| format!(" · {}", inert(a)))
            .unwrap_or_default()
    );
    if let Some(t) = m.removed_at {
        o.push_str(&format!(
            "  REMOVED {} by {}: {}\n",
            fmt_short(t),
            inert(m.removed_by.as_deref().unwrap_or("?")),
            inert(m.removed_reason.as_deref().unwrap_or(""))
        ));
    }
    if !earlier {
        return o;
    }
    if let Some(c) = m.child_id {
        o.push_str(&format!(
            "  child {c} on file: {} referral(s) of their own\n",
            e.referrals.len()
        ));
    }
    for i in &e.earlier {
        o.push_str(&format!(
            "  known: {} on referral {} ({}, child {}{}) as recorded there: {}{} — {}\n",
            i.involvement,
            i.referral_id,
            fmt_short(i.received_at),
            i.child_id,
            i.child
                .as_deref()
                .map(|c| format!(" {}", inert(c)))
                .unwrap_or_default(),
            inert(&i.name),
            i.address
                .as_deref()
                .map(|a| format!(", {}", inert(a)))
                .unwrap_or_default(),
            inert(&i.why)
        ));
    }
    o
}
