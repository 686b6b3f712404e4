//! `dutydesk report`: the director's figures for a period (Rec 29, Rec 54).

use clap::Args;

use super::output::{inert, Format, Table};
use super::{io, open_client, Env};
use crate::desk::reports::{Report, ReportQuery, Timeliness, DEFINITIONS};
use crate::desk::DeskError;
use crate::domain::time::{fmt_short, parse_date};

#[derive(Debug, Args)]
#[command(after_long_help = DEFINITIONS)]
pub struct ReportArgs {
    /// First day, dd/mm/yyyy (London) [default: the 1st of this month]
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, included, dd/mm/yyyy [default: today]
    #[arg(long)]
    pub to: Option<String>,
    /// One team only
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run_report(a: ReportArgs, env: &Env) -> Result<(), DeskError> {
    let date = |what: &str, s: &Option<String>| {
        s.as_deref()
            .map(|s| parse_date(s).map_err(|e| DeskError::Invalid(format!("{what}: {e}"))))
            .transpose()
    };
    let q = ReportQuery {
        from: date("--from", &a.from)?,
        to: date("--to", &a.to)?,
        team: a.team.clone(),
    };
    let mut desk = open_client(env)?;
    let report = {
        let _busy = super::output::Busy::start("working out the figures");
        desk.report(&q)?
    };
    let out = match a.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| io(e.into()))? + "\n",
        Format::Csv => to_csv(&report).to_csv(),
        Format::Table => to_text(&report),
    };
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(io)
}

fn n(x: i64) -> String {
    x.to_string()
}

fn p(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn pc(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "–".into())
}

/// The CSV columns (documented in the README).
pub const CSV_HEADERS: &[&str] = &[
    "section", "figure", "team", "code", "label", "count", "out_of", "percent",
];

/// Adds one CSV row: section, figure, team, code, label, count, out_of, percent.
type RowFn<'a> = dyn FnMut(&str, &str, &str, &str, &str, String, String, String) + 'a;

/// One long table: every figure a row, so a spreadsheet can filter and pivot it.
pub fn to_csv(r: &Report) -> Table {
    let mut t = Table::new(CSV_HEADERS);
    let all = r.team.clone().unwrap_or_else(|| "all".into());
    let mut row = |section: &str,
                   figure: &str,
                   team: &str,
                   code: &str,
                   label: &str,
                   count: String,
                   out_of: String,
                   percent: String| {
        t.row(vec![
            section.into(),
            figure.into(),
            team.into(),
            code.into(),
            label.into(),
            count,
            out_of,
            percent,
        ])
    };
    let e = String::new;
    let per = &r.period;
    row(
        "period",
        "from",
        &all,
        "",
        &per.from.to_string(),
        e(),
        e(),
        e(),
    );
    row("period", "to", &all, "", &per.to.to_string(), e(), e(), e());
    row(
        "period",
        "as_at",
        &all,
        "",
        &crate::domain::time::fmt_rfc3339(per.as_at),
        e(),
        e(),
        e(),
    );
    row("period", "profile", &all, "", &r.profile, e(), e(), e());
    let f = &r.referrals;
    row(
        "referrals",
        "referred",
        &all,
        "",
        "children referred",
        n(f.referred),
        e(),
        e(),
    );
    row(
        "referrals",
        "rereferrals",
        &all,
        "",
        "re-referred within 12 months",
        n(f.rereferrals),
        n(f.referred),
        p(f.rereferral_pct),
    );
    row(
        "referrals",
        "awaiting_decision",
        &all,
        "",
        "awaiting decision",
        n(f.awaiting_decision),
        e(),
        e(),
    );
    let decided: i64 = r.decisions.iter().map(|d| d.count).sum();
    for d in &r.decisions {
        row(
            "decisions",
            "decision",
            &all,
            d.decision.as_str(),
            &d.label,
            n(d.count),
            n(decided),
            p(crate::desk::reports::pct(d.count, decided)),
        );
    }
    let s = &r.services;
    row(
        "services",
        "service_needed",
        &all,
        "",
        "assessed as needing a service",
        n(s.service_needed),
        e(),
        e(),
    );
    row(
        "services",
        "service_provided",
        &all,
        "",
        "provided with the service",
        n(s.service_provided),
        e(),
        e(),
    );
    row(
        "services",
        "unmet_need",
        &all,
        "",
        "needed, not yet provided",
        n(s.unmet_need),
        e(),
        e(),
    );
    for b in &s.unmet_waits {
        row(
            "services",
            "unmet_wait",
            &all,
            "",
            &b.band,
            n(b.count),
            n(s.unmet_need),
            e(),
        );
    }
    let tl = |row: &mut RowFn, team: &str, t: &Timeliness| {
        let code = t.kind.map(|k| k.as_str()).unwrap_or("all");
        row(
            "timeliness",
            "on_time",
            team,
            code,
            &t.label,
            n(t.on_time),
            n(t.measured),
            p(t.on_time_pct),
        );
        row(
            "timeliness",
            "late",
            team,
            code,
            &t.label,
            n(t.late),
            n(t.measured),
            e(),
        );
        row(
            "timeliness",
            "still_overdue",
            team,
            code,
            &t.label,
            n(t.still_overdue),
            n(t.measured),
            e(),
        );
        row(
            "timeliness",
            "cancelled",
            team,
            code,
            &t.label,
            n(t.cancelled),
            e(),
            e(),
        );
    };
    for t in &r.timeliness {
        tl(&mut row, &all, t);
    }
    for c in &r.assessments_completed {
        row(
            "assessments_completed",
            "on_time",
            &all,
            c.kind.as_str(),
            &format!("{} ({})", c.label, c.indicator),
            n(c.on_time),
            n(c.completed),
            p(c.on_time_pct),
        );
        row(
            "assessments_completed",
            "late",
            &all,
            c.kind.as_str(),
            &format!("{} ({})", c.label, c.indicator),
            n(c.late),
            n(c.completed),
            e(),
        );
    }
    for lr in &r.late_reasons {
        row(
            "late_reasons",
            "late_reason",
            &all,
            "",
            &lr.reason,
            n(lr.count),
            e(),
            e(),
        );
    }
    let u = &r.unallocated;
    row(
        "unallocated",
        "unallocated",
        &all,
        "",
        "unallocated referrals (as at now)",
        n(u.count),
        e(),
        e(),
    );
    for (figure, label, v) in [
        ("no_owner", "an open action has no owner", u.no_owner),
        (
            "owner_inactive",
            "an owner has left (inactive)",
            u.owner_inactive,
        ),
        ("owner_absent", "an owner is absent", u.owner_absent),
        (
            "owner_not_duty_staff",
            "an owner is not duty staff",
            u.owner_not_duty_staff,
        ),
    ] {
        row(
            "unallocated",
            figure,
            &all,
            "",
            label,
            n(v),
            n(u.count),
            e(),
        );
    }
    row(
        "unallocated",
        "deliberate_harm",
        &all,
        "",
        "deliberate harm alleged",
        n(u.deliberate_harm),
        n(u.count),
        e(),
    );
    row(
        "unallocated",
        "overdue",
        &all,
        "",
        "next action overdue",
        n(u.overdue),
        n(u.count),
        e(),
    );
    for b in &u.ages {
        row(
            "unallocated",
            "age",
            &all,
            "",
            &b.band,
            n(b.count),
            n(u.count),
            e(),
        );
    }
    for st in &u.by_stage {
        row(
            "unallocated",
            "stage",
            &all,
            st.state.as_str(),
            &st.label,
            n(st.count),
            n(u.count),
            e(),
        );
    }
    for tm in &r.teams {
        let name = tm.team.as_str();
        row(
            "teams",
            "referred",
            name,
            "",
            "children referred",
            n(tm.referred),
            e(),
            e(),
        );
        row(
            "teams",
            "rereferrals",
            name,
            "",
            "re-referred within 12 months",
            n(tm.rereferrals),
            n(tm.referred),
            p(crate::desk::reports::pct(tm.rereferrals, tm.referred)),
        );
        row(
            "teams",
            "decisions",
            name,
            "",
            "decisions",
            n(tm.decisions),
            e(),
            e(),
        );
        row(
            "teams",
            "service_needed",
            name,
            "",
            "assessed as needing a service",
            n(tm.service_needed),
            e(),
            e(),
        );
        row(
            "teams",
            "service_provided",
            name,
            "",
            "provided with the service",
            n(tm.service_provided),
            e(),
            e(),
        );
        row(
            "teams",
            "unmet_need",
            name,
            "",
            "needed, not yet provided",
            n(tm.unmet_need),
            e(),
            e(),
        );
        row(
            "teams",
            "unallocated",
            name,
            "",
            "unallocated referrals (as at now)",
            n(tm.unallocated),
            e(),
            e(),
        );
        for t in &tm.timeliness {
            tl(&mut row, name, t);
        }
    }
    let au = &r.authorisation;
    for (figure, label, count) in [
        (
            "awaiting",
            "awaiting authorisation (as at now)",
            au.awaiting,
        ),
        (
            "awaiting_outcome",
            "of which an assessment outcome",
            au.awaiting_outcome,
        ),
        (
            "awaiting_nfa",
            "of which no further action",
            au.awaiting_nfa,
        ),
        (
            "authorised",
            "authorised in the period",
            au.authorised_in_period,
        ),
        ("returned", "returned in the period", au.returned_in_period),
    ] {
        row("authorisation", figure, &all, "", label, n(count), e(), e());
    }
    let s = &r.screening;
    for (figure, label, count) in [
        ("screened_red", "screenings rated red", s.screened_red),
        ("screened_amber", "screenings rated amber", s.screened_amber),
        ("screened_green", "screenings rated green", s.screened_green),
        (
            "referrals_screened",
            "referrals screened",
            s.referrals_screened,
        ),
        (
            "checks_on_time",
            "agency checks answered on time",
            s.checks_answered_on_time,
        ),
        (
            "checks_late",
            "agency checks answered late",
            s.checks_answered_late,
        ),
        (
            "checks_outstanding",
            "agency checks outstanding (now)",
            s.checks_outstanding,
        ),
        (
            "checks_outstanding_overdue",
            "of which overdue",
            s.checks_outstanding_overdue,
        ),
        (
            "consent_overridden",
            "consent overridden",
            s.consent_overridden,
        ),
        ("escalations", "escalated to section 47", s.escalations),
    ] {
        row("screening", figure, &all, "", label, n(count), e(), e());
    }
    let sd = &r.strategy;
    for (figure, label, count) in [
        (
            "held",
            "referrals with a first strategy discussion in the period",
            sd.held,
        ),
        (
            "within_24_hours",
            "held within 24 hours of the referral (Kent audit tool; Rec 93)",
            sd.within_24_hours,
        ),
        (
            "manager_from_each",
            "with a manager from social care and from the police (Rec 93)",
            sd.manager_from_each,
        ),
        (
            "within_24_hours_with_managers",
            "within 24 hours with a manager from each agency",
            sd.within_24_hours_with_managers,
        ),
        (
            "action_points_on_time",
            "action points due in the period done on time (Rec 51)",
            sd.action_points_on_time,
        ),
        (
            "action_points_late",
            "action points due in the period done late",
            sd.action_points_late,
        ),
        (
            "action_points_open",
            "action points due in the period still open",
            sd.action_points_open,
        ),
        (
            "not_circulated",
            "records not yet circulated (as at now; Rec 51)",
            sd.not_circulated,
        ),
    ] {
        row("strategy", figure, &all, "", label, n(count), e(), e());
    }
    for m in &r.case_audits {
        row(
            "case_audits",
            "audited",
            &all,
            &m.month,
            "cases audited",
            n(m.audited),
            e(),
            e(),
        );
        for q in &m.questions {
            for (figure, count) in [
                ("yes", q.yes),
                ("no", q.no),
                ("not_applicable", q.not_applicable),
            ] {
                row(
                    "case_audits",
                    figure,
                    &all,
                    &m.month,
                    &q.question,
                    n(count),
                    n(m.audited),
                    e(),
                );
            }
        }
    }
    for c in &r.caseloads {
        let name = c.team.clone().unwrap_or_else(|| "(no team)".into());
        for (figure, label, count) in [
            ("workers", "active duty workers and managers", c.workers),
            (
                "allocated_cases",
                "open cases allocated (as at now)",
                c.allocated_cases,
            ),
            (
                "new_allocations",
                "of which not yet accepted",
                c.new_allocations,
            ),
            ("open_actions", "open actions they own", c.open_actions),
            ("overdue", "of which overdue", c.overdue),
            ("most_cases", "most cases held by one person", c.most_cases),
            (
                "over_ceiling",
                "people over the caseload ceiling",
                c.over_ceiling,
            ),
        ] {
            row("caseloads", figure, &name, "", label, n(count), e(), e());
        }
    }
    for so in &r.sources {
        row(
            "sources",
            "referred",
            &all,
            &so.code,
            &so.label,
            n(so.referred),
            n(r.referrals.referred),
            p(so.pct_of_referred),
        );
    }
    for d in &r.daily {
        row(
            "daily",
            "referred",
            &all,
            &d.date.to_string(),
            "",
            n(d.referred),
            e(),
            e(),
        );
        row(
            "daily",
            "overdue_at_end",
            &all,
            &d.date.to_string(),
            "",
            n(d.overdue_at_end),
            e(),
            e(),
        );
    }
    t
}

/// The report as text for a terminal.
pub fn to_text(r: &Report) -> String {
    let mut out = String::new();
    let per = &r.period;
    out.push_str(&format!(
        "Report {} to {} ({}), as at {}; profile {}\n\n",
        per.from.format("%d/%m/%Y"),
        per.to.format("%d/%m/%Y"),
        r.team
            .as_deref()
            .map(inert)
            .unwrap_or_else(|| "all teams".into()),
        fmt_short(per.as_at),
        r.profile
    ));
    let f = &r.referrals;
    let mut t = Table::new(&["children (Rec 29)", "count", "%"]);
    t.row(vec!["referred".into(), n(f.referred), String::new()]);
    t.row(vec![
        "re-referred within 12 months".into(),
        n(f.rereferrals),
        pc(f.rereferral_pct),
    ]);
    t.row(vec![
        "awaiting decision".into(),
        n(f.awaiting_decision),
        String::new(),
    ]);
    let s = &r.services;
    t.row(vec![
        "assessed as needing a service".into(),
        n(s.service_needed),
        String::new(),
    ]);
    t.row(vec![
        "provided with the service".into(),
        n(s.service_provided),
        String::new(),
    ]);
    t.row(vec![
        "unmet need (needed, not provided)".into(),
        n(s.unmet_need),
        String::new(),
    ]);
    for b in &s.unmet_waits {
        t.row(vec![
            format!("  waiting {}", b.band),
            n(b.count),
            String::new(),
        ]);
    }
    out.push_str(&t.to_text());
    out.push('\n');
    let decided: i64 = r.decisions.iter().map(|d| d.count).sum();
    let mut t = Table::new(&["decisions", "count", "%"]);
    for d in &r.decisions {
        t.row(vec![
            d.label.clone(),
            n(d.count),
            pc(crate::desk::reports::pct(d.count, decided)),
        ]);
    }
    out.push_str(&t.to_text());
    out.push('\n');
    let mut t = Table::new(&[
        "timeliness (due in period)",
        "clock",
        "on time",
        "late",
        "overdue",
        "%",
        "cancelled at closure",
    ]);
    for x in &r.timeliness {
        t.row(vec![
            x.label.clone(),
            x.clock.clone().unwrap_or_default(),
            n(x.on_time),
            n(x.late),
            n(x.still_overdue),
            pc(x.on_time_pct),
            n(x.cancelled),
        ]);
    }
    out.push_str(&t.to_text());
    out.push('\n');
    if !r.assessments_completed.is_empty() {
        let mut t = Table::new(&[
            "assessments completed in period",
            "indicator",
            "completed",
            "on time",
            "late",
            "%",
        ]);
        for c in &r.assessments_completed {
            t.row(vec![
                c.label.clone(),
                c.indicator.clone(),
                n(c.completed),
                n(c.on_time),
                n(c.late),
                pc(c.on_time_pct),
            ]);
        }
        out.push_str(&t.to_text());
        out.push('\n');
    }
    if !r.late_reasons.is_empty() {
        let mut t = Table::new(&["late reasons", "count"]);
        for lr in &r.late_reasons {
            t.row(vec![lr.reason.clone(), n(lr.count)]);
        }
        out.push_str(&t.to_text());
        out.push('\n');
    }
    let u = &r.unallocated;
    out.push_str(&format!(
        "Unallocated (Rec 54, 55), as at {}: {} (no owner {}, owner inactive {}, owner absent \
         {}, owner not duty staff {}; deliberate harm {}; next action overdue {}; oldest {} \
         days)\n",
        fmt_short(u.as_at),
        u.count,
        u.no_owner,
        u.owner_inactive,
        u.owner_absent,
        u.owner_not_duty_staff,
        u.deliberate_harm,
        u.overdue,
        u.oldest_days
            .map(|d| d.to_string())
            .unwrap_or_else(|| "–".into())
    ));
    let bands: Vec<String> = u
        .ages
        .iter()
        .map(|b| format!("{} {}", b.band, b.count))
        .collect();
    out.push_str(&format!("  age: {}\n", bands.join(", ")));
    let stages: Vec<String> = u
        .by_stage
        .iter()
        .map(|s| format!("{} {}", s.label, s.count))
        .collect();
    if !stages.is_empty() {
        out.push_str(&format!("  stage: {}\n", stages.join(", ")));
    }
    out.push_str(&format!("  not recorded: {}\n\n", u.not_recorded));
    let mut t = Table::new(&[
        "team", "referred", "re-ref", "decided", "needed", "provided", "unmet", "unalloc",
        "on time",
    ]);
    for tm in &r.teams {
        t.row(vec![
            inert(&tm.team),
            n(tm.referred),
            n(tm.rereferrals),
            n(tm.decisions),
            n(tm.service_needed),
            n(tm.service_provided),
            n(tm.unmet_need),
            n(tm.unallocated),
            pc(tm.timeliness.first().and_then(|x| x.on_time_pct)),
        ]);
    }
    out.push_str(&t.to_text());
    out.push('\n');
    let au = &r.authorisation;
    out.push_str(&format!(
        "Awaiting authorisation (Rec 25), as at now: {} (assessment outcome {}, no further \
         action {}; oldest {} days); in the period {} authorised, {} returned\n\n",
        au.awaiting,
        au.awaiting_outcome,
        au.awaiting_nfa,
        au.oldest_waiting_days
            .map(|d| d.to_string())
            .unwrap_or_else(|| "–".into()),
        au.authorised_in_period,
        au.returned_in_period
    ));
    let s = &r.screening;
    out.push_str(&format!(
        "Screening: {} referral(s) screened; screenings red {}, amber {}, green {}. Agency \
         checks due in the period (Rec 34): {} answered on time, {} late; outstanding now {} \
         ({} overdue). Consent overridden {}; escalated to section 47 {}\n\n",
        s.referrals_screened,
        s.screened_red,
        s.screened_amber,
        s.screened_green,
        s.checks_answered_on_time,
        s.checks_answered_late,
        s.checks_outstanding,
        s.checks_outstanding_overdue,
        s.consent_overridden,
        s.escalations
    ));
    let sd = &r.strategy;
    out.push_str(&format!(
        "Strategy discussions (Rec 93): {} referrals had their first in the period; {} within 24 \
         hours of the referral (Kent audit tool), {} with a manager from social care and from \
         the police, {} both. Action points due (Rec 51): {} on time, {} late, {} open ({} \
         overdue). Records not yet circulated: {}\n\n",
        sd.held,
        sd.within_24_hours,
        sd.manager_from_each,
        sd.within_24_hours_with_managers,
        sd.action_points_on_time,
        sd.action_points_late,
        sd.action_points_open,
        sd.action_points_overdue,
        sd.not_circulated
    ));
    for m in &r.case_audits {
        out.push_str(&format!(
            "Case audits (Rec 30), {}: {} audited\n",
            m.month, m.audited
        ));
        for q in &m.questions {
            out.push_str(&format!(
                "  {}: yes {}, no {}, n/a {}\n",
                inert(&q.question),
                q.yes,
                q.no,
                q.not_applicable
            ));
        }
    }
    if !r.case_audits.is_empty() {
        out.push('\n');
    }
    let mut t = Table::new(&[
        "caseloads (Rec 52), now",
        "workers",
        "cases",
        "new",
        "actions",
        "overdue",
        "most",
        "ceiling",
        "over",
    ]);
    for c in &r.caseloads {
        t.row(vec![
            c.team
                .as_deref()
                .map(inert)
                .unwrap_or_else(|| "(no team)".into()),
            n(c.workers),
            n(c.allocated_cases),
            n(c.new_allocations),
            n(c.open_actions),
            n(c.overdue),
            n(c.most_cases),
            c.ceiling
                .map(|x| x.to_string())
                .unwrap_or_else(|| "–".into()),
            n(c.over_ceiling),
        ]);
    }
    out.push_str(&t.to_text());
    out.push('\n');
    let mut t = Table::new(&["source", "", "referred", "%"]);
    for so in r.sources.iter().filter(|s| s.referred > 0) {
        t.row(vec![
            so.code.clone(),
            so.label.clone(),
            n(so.referred),
            pc(so.pct_of_referred),
        ]);
    }
    out.push_str(&t.to_text());
    out
}
