//! The case on the referral screen (issue 17): to whom it is allocated and
//! whether they have accepted it (Rec 53), a proposal awaiting a manager's
//! authorisation (Rec 25), a transfer waiting for the receiving team (Rec
//! 42), and when it was last overseen (Rec 45); and the dialogs that act on
//! them: accept an allocation, authorise or return a proposal, propose an
//! outcome or no further action, start, accept, decline or withdraw a
//! transfer, record supervision or oversight with its action points.
//!
//! Every dialog names the referral, the child and what it acts on; nothing
//! is chosen for the person; Enter sends one `Command` and the desk decides.
//! A refusal is the desk's own message, on the status line and in the dialog.

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use super::screen::Effect;
use super::widgets::{self, centered, inert, inert_or, LineInput, Urgency};
use crate::desk::{Command, DeskError, Outcome, ReferralDetail, Staff, Team};
use crate::domain::authorising::ProposalKind;
use crate::domain::endings::is_late;
use crate::domain::oversight::{OversightKind, ToHappen};
use crate::domain::time::{fmt_short, london_date, parse_date};
use crate::domain::validate::{MAX_DATE, MAX_LINE, MAX_TEXT};
use crate::domain::AssessmentOutcome;

/// How a case flag is drawn: bold yellow, so it shows beside the red of an
/// overdue deadline without being taken for one, and bold without colour.
fn flag() -> Style {
    Urgency::Soon.style().add_modifier(Modifier::BOLD)
}

fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A login's display name from the team's staff, or the login.
fn name_of(staff: &[Staff], login: &str) -> String {
    staff
        .iter()
        .find(|s| s.login == login)
        .map_or_else(|| inert(login), |s| inert(&s.display_name))
}

/// The case as one list of short statements, each drawn whole (never cut
/// in the middle): allocated to whom (NEW until accepted), expected by and
/// review; awaiting authorisation (what, by whom, when); in transfer (to
/// which team, since when); last overseen (when, by whom, or never).
pub fn case_spans(d: &ReferralDetail, staff: &[Staff], now: DateTime<Utc>) -> Vec<Span<'static>> {
    let today = london_date(now);
    let mut out = Vec::new();
    match &d.allocation {
        Some(a) => {
            out.push(Span::raw(format!(
                "allocated to {}",
                inert_or(a.worker_name.as_deref(), &inert(&a.worker))
            )));
            if a.is_new() {
                out.push(Span::styled("NEW (not accepted)", flag()));
            }
            let by = format!("by {}", a.by.format("%d/%m"));
            out.push(if a.by < today {
                Span::styled(format!("{by} (PASSED)"), Urgency::Overdue.style())
            } else {
                Span::raw(by)
            });
            let review = format!("review {}", a.review.format("%d/%m"));
            out.push(if a.review < today {
                Span::styled(format!("{review} (DUE)"), Urgency::Overdue.style())
            } else {
                Span::raw(review)
            });
        }
        None => out.push(Span::styled(
            "case not allocated to a worker",
            Style::new().bold(),
        )),
    }
    if let Some(p) = d.awaiting_authorisation() {
        let what = match p.outcome {
            Some(o) => format!("outcome \"{}\"", o.label()),
            None => p.kind.label().to_string(),
        };
        out.push(Span::styled(
            format!(
                "AWAITING AUTHORISATION: {what}, by {} {}",
                name_of(staff, &p.proposed_by),
                fmt_short(p.proposed_at)
            ),
            flag(),
        ));
    }
    if let Some(t) = &d.transfer {
        out.push(Span::styled(
            format!(
                "IN TRANSFER to {} since {}",
                inert(&t.to_team),
                fmt_short(t.requested_at)
            ),
            flag(),
        ));
    }
    out.push(
        match d.oversight.iter().max_by_key(|o| (o.recorded_at, o.id)) {
            Some(o) => Span::raw(format!(
                "last overseen {} by {}",
                fmt_short(o.recorded_at),
                name_of(staff, &o.recorded_by)
            )),
            None => Span::raw("last overseen: never"),
        },
    );
    out
}

/// The statements packed into lines of `width` cells, joined by " · ",
/// breaking only between statements (one longer than the width wraps).
pub fn case_lines(spans: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for s in spans {
        let w = s.width();
        if !cur.is_empty() && used + 3 + w > width {
            lines.push(Line::from(std::mem::take(&mut cur)));
            used = 0;
        }
        if cur.is_empty() {
            cur.push(Span::raw(" "));
            used = 1;
        } else {
            cur.push(Span::raw(" · "));
            used += 3;
        }
        used += w;
        cur.push(s);
    }
    if !cur.is_empty() {
        lines.push(Line::from(cur));
    }
    lines
}

/// Rows a line takes in `width` cells when wrapped.
pub fn rows_of(lines: &[Line], width: u16) -> u16 {
    lines
        .iter()
        .map(|l| (l.width() as u16).div_ceil(width.max(1)).max(1))
        .sum()
}

/// What a case dialog does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseKind {
    /// The allocated worker accepts the case (Rec 53).
    Accept,
    /// A duty manager authorises or returns the awaiting proposal (Rec 25).
    Authorise,
    /// A worker proposes an assessment outcome or no further action.
    Propose,
    /// A duty manager asks for the referral to move to another team (Rec 42).
    RequestTransfer,
    /// The receiving team accepts or declines; the sending team withdraws.
    DecideTransfer,
    /// Supervision or oversight with what is to happen (Rec 45).
    Oversight,
}

/// One choice of a dialog's list.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    Authorise,
    Return,
    Nfa,
    Outcome(AssessmentOutcome),
    Team(String),
    AcceptTransfer,
    DeclineTransfer,
    WithdrawTransfer,
    Kind(OversightKind),
}

impl Choice {
    fn label(&self) -> String {
        match self {
            Choice::Authorise => "authorise: it takes effect now, as your own".into(),
            Choice::Return => "return it to the worker, with why".into(),
            Choice::Nfa => "no further action on the referral (say why)".into(),
            Choice::Outcome(o) => format!("assessment outcome: {}", o.label()),
            Choice::Team(t) => inert(t),
            Choice::AcceptTransfer => "accept: it moves to your team now".into(),
            Choice::DeclineTransfer => "decline, with why: it stays where it is".into(),
            Choice::WithdrawTransfer => "withdraw the request, with why".into(),
            Choice::Kind(OversightKind::Supervision) => "supervision with the worker".into(),
            Choice::Kind(OversightKind::Oversight) => "management oversight of the case".into(),
        }
    }
}

/// Which text field, for labels and for what the desk needs of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// The note, or (for a return, a decline, a withdrawal, a transfer
    /// request, no further action) the reason.
    Note,
    /// Why it is late (Rec 35): authorising past the deadline.
    Late,
    /// Oversight: what was discussed.
    Discussed,
    /// Oversight's next action point: what, by when, who.
    What,
    By,
    Owner,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseDialog {
    pub kind: CaseKind,
    pub choices: Vec<Choice>,
    /// None until chosen: nothing is done by a default.
    pub choice: Option<usize>,
    pub fields: Vec<(FieldKind, LineInput)>,
    /// Authorising an assessment outcome: the child and carer were seen and
    /// spoken to (Rec 25); asked, never assumed.
    pub seen: Option<bool>,
    /// Oversight: the action points added so far.
    pub items: Vec<ToHappen>,
    /// 0: the list (if any), then the fields, then the "seen" box.
    pub focus: usize,
    pub error: Option<String>,
    /// The deadline the action ends by (authorising late needs a reason).
    pub due: Option<DateTime<Utc>>,
}

impl CaseDialog {
    fn new(kind: CaseKind, choices: Vec<Choice>, fields: &[FieldKind]) -> CaseDialog {
        CaseDialog {
            kind,
            choices,
            choice: None,
            fields: fields
                .iter()
                .map(|k| {
                    let max = match k {
                        FieldKind::By => MAX_DATE,
                        FieldKind::Owner | FieldKind::Late => MAX_LINE,
                        _ => MAX_TEXT,
                    };
                    (*k, LineInput::new(max))
                })
                .collect(),
            seen: None,
            items: Vec::new(),
            focus: 0,
            error: None,
            due: None,
        }
    }

    fn chosen(&self) -> Option<&Choice> {
        self.choice.and_then(|c| self.choices.get(c))
    }

    fn has_list(&self) -> bool {
        !self.choices.is_empty()
    }

    /// The focusable places: the list, each field, the box.
    fn stops(&self) -> usize {
        usize::from(self.has_list()) + self.fields.len() + usize::from(self.seen.is_some())
    }

    /// The field index the focus is on, if it is on a field.
    fn field_at(&self) -> Option<usize> {
        let i = self.focus.checked_sub(usize::from(self.has_list()))?;
        (i < self.fields.len()).then_some(i)
    }

    fn on_list(&self) -> bool {
        self.has_list() && self.focus == 0
    }

    fn on_box(&self) -> bool {
        self.seen.is_some() && self.focus + 1 == self.stops()
    }

    fn field(&self, k: FieldKind) -> Option<&LineInput> {
        self.fields.iter().find(|(f, _)| *f == k).map(|(_, v)| v)
    }

    fn text(&self, k: FieldKind) -> Option<String> {
        self.field(k).and_then(|f| f.trimmed())
    }

    fn focus_field(&mut self, k: FieldKind) {
        if let Some(i) = self.fields.iter().position(|(f, _)| *f == k) {
            self.focus = usize::from(self.has_list()) + i;
        }
    }

    /// The text field that has the keys (for a paste).
    pub fn focused_field(&mut self) -> Option<&mut LineInput> {
        let i = self.field_at()?;
        Some(&mut self.fields[i].1)
    }

    fn late(&self, now: DateTime<Utc>) -> bool {
        self.due.is_some_and(|d| is_late(now, d))
    }

    /// A key: moves, types, or (Enter) the command to send.
    pub fn key(&mut self, key: KeyEvent, referral_id: i64, now: DateTime<Utc>) -> Option<Command> {
        let stops = self.stops().max(1);
        match key.code {
            KeyCode::Tab => {
                self.focus = (self.focus + 1) % stops;
                return None;
            }
            KeyCode::BackTab => {
                self.focus = (self.focus + stops - 1) % stops;
                return None;
            }
            KeyCode::Down if self.on_list() => {
                let n = self.choices.len();
                self.choice = widgets::choice_down(self.choice, n);
                return None;
            }
            KeyCode::Up if self.on_list() => {
                self.choice = widgets::choice_up(self.choice);
                return None;
            }
            KeyCode::Char(' ') if self.on_box() => {
                self.seen = self.seen.map(|s| !s);
                return None;
            }
            KeyCode::Enter => {}
            _ => {
                if let Some(i) = self.field_at() {
                    self.fields[i].1.handle(&key);
                }
                return None;
            }
        }
        // Enter on an oversight item with text adds it to the list.
        if self.kind == CaseKind::Oversight && self.text(FieldKind::What).is_some() {
            self.add_item(now);
            return None;
        }
        match self.command(referral_id, now) {
            Ok(cmd) => {
                self.error = None;
                Some(cmd)
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn add_item(&mut self, now: DateTime<Utc>) {
        let what = self.text(FieldKind::What).unwrap_or_default();
        let Some(by) = self.text(FieldKind::By) else {
            self.error = Some(format!(
                "action point {}: give the day it is due by (dd/mm/yyyy)",
                self.items.len() + 1
            ));
            self.focus_field(FieldKind::By);
            return;
        };
        let by = match parse_date(&by) {
            Ok(d) => d,
            Err(e) => {
                self.error = Some(format!("action point {}: {e}", self.items.len() + 1));
                self.focus_field(FieldKind::By);
                return;
            }
        };
        if by < london_date(now) {
            self.error = Some(format!(
                "action point {} is due {}, in the past",
                self.items.len() + 1,
                day(by)
            ));
            self.focus_field(FieldKind::By);
            return;
        }
        let owner = self.text(FieldKind::Owner);
        self.items.push(ToHappen {
            what,
            by,
            // With an owner it becomes an action on the referral, in their
            // queue and the handover; without one it is recorded in the note.
            make_action: owner.is_some(),
            owner,
        });
        for (k, f) in self.fields.iter_mut() {
            if matches!(k, FieldKind::What | FieldKind::By | FieldKind::Owner) {
                *f = LineInput::new(f.max_chars);
            }
        }
        self.error = None;
        self.focus_field(FieldKind::What);
    }

    fn command(&mut self, referral_id: i64, now: DateTime<Utc>) -> Result<Command, String> {
        let note = self.text(FieldKind::Note);
        let pick = |s: &mut CaseDialog, what: &str| -> Result<Choice, String> {
            match s.chosen() {
                Some(c) => Ok(c.clone()),
                None => {
                    s.focus = 0;
                    Err(format!(
                        "choose {what} with Up/Down first: nothing is chosen for you"
                    ))
                }
            }
        };
        let need = |s: &mut CaseDialog, what: &str| -> Result<String, String> {
            match s.text(FieldKind::Note) {
                Some(n) => Ok(n),
                None => {
                    s.focus_field(FieldKind::Note);
                    Err(format!("write {what}"))
                }
            }
        };
        Ok(match self.kind {
            CaseKind::Accept => Command::AcceptAllocation { referral_id },
            CaseKind::Authorise => match pick(self, "authorise or return")? {
                Choice::Return => Command::ReturnProposal {
                    referral_id,
                    reason: need(self, "why it goes back to the worker")?,
                },
                _ => {
                    let late = self.late(now);
                    let late_reason = self.text(FieldKind::Late);
                    if late && late_reason.is_none() {
                        self.focus_field(FieldKind::Late);
                        return Err(format!(
                            "it was due {}: give the reason it is late (Rec 35)",
                            self.due.map(fmt_short).unwrap_or_default()
                        ));
                    }
                    Command::AuthoriseProposal {
                        referral_id,
                        child_and_carer_seen: self.seen.unwrap_or(false),
                        note,
                        late_reason: if late { late_reason } else { None },
                    }
                }
            },
            CaseKind::Propose => match pick(self, "what you propose")? {
                Choice::Outcome(outcome) => Command::ProposeOutcome {
                    referral_id,
                    outcome,
                    note,
                },
                _ => Command::ProposeNoFurtherAction {
                    referral_id,
                    note: need(self, "why no further action (Rec 30: it is audited)")?,
                },
            },
            CaseKind::RequestTransfer => {
                let Choice::Team(to_team) = pick(self, "the team it goes to")? else {
                    return Err("choose the team it goes to".into());
                };
                Command::RequestTransfer {
                    referral_id,
                    to_team,
                    reason: need(self, "why it moves to that team (Rec 42)")?,
                }
            }
            CaseKind::DecideTransfer => match pick(self, "accept, decline or withdraw")? {
                Choice::AcceptTransfer => Command::AcceptTransfer { referral_id, note },
                Choice::DeclineTransfer => Command::DeclineTransfer {
                    referral_id,
                    reason: need(self, "why your team declines it")?,
                },
                _ => Command::WithdrawTransfer {
                    referral_id,
                    reason: need(self, "why the request is withdrawn")?,
                },
            },
            CaseKind::Oversight => {
                let Choice::Kind(kind) = pick(self, "supervision or oversight")? else {
                    return Err("choose supervision or oversight".into());
                };
                let Some(discussed) = self.text(FieldKind::Discussed) else {
                    self.focus_field(FieldKind::Discussed);
                    return Err("write what was discussed (Rec 45)".into());
                };
                Command::RecordOversight {
                    referral_id,
                    kind,
                    discussed,
                    to_happen: self.items.clone(),
                }
            }
        })
    }
}

/// What the screen knows when a case dialog opens.
pub struct Opening<'a> {
    pub detail: &'a ReferralDetail,
    pub me: Option<&'a Staff>,
    pub teams: &'a [Team],
    /// The open decision's and assessment's deadlines (late authorising).
    pub decision_due: Option<DateTime<Utc>>,
    pub assessment_due: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Opens a dialog, or says on the status line why there is nothing to act on.
pub fn open(kind: CaseKind, o: &Opening) -> Result<CaseDialog, String> {
    let d = o.detail;
    let r = &d.referral;
    let id = r.id;
    let closed = r.state == crate::domain::ReferralState::Closed;
    Ok(match kind {
        CaseKind::Accept => {
            let Some(a) = &d.allocation else {
                return Err(format!(
                    "referral {id} is not allocated: there is no allocation to accept"
                ));
            };
            if let Some(at) = a.accepted_at {
                return Err(format!(
                    "referral {id} was accepted by {} on {}",
                    inert(&a.worker),
                    fmt_short(at)
                ));
            }
            CaseDialog::new(kind, Vec::new(), &[])
        }
        CaseKind::Authorise => {
            let Some(p) = d.awaiting_authorisation() else {
                return Err(format!("nothing on referral {id} awaits authorisation"));
            };
            let due = match p.kind {
                ProposalKind::AssessmentOutcome => o.assessment_due,
                ProposalKind::NfaDecision => o.decision_due,
            };
            // Authorising past the deadline needs why (Rec 35): the field
            // is there only then.
            let fields: &[FieldKind] = if due.is_some_and(|d| is_late(o.now, d)) {
                &[FieldKind::Note, FieldKind::Late]
            } else {
                &[FieldKind::Note]
            };
            let mut dlg = CaseDialog::new(kind, vec![Choice::Authorise, Choice::Return], fields);
            dlg.due = due;
            if p.kind == ProposalKind::AssessmentOutcome {
                dlg.seen = Some(false);
            }
            dlg
        }
        CaseKind::Propose => {
            if let Some(p) = d.awaiting_authorisation() {
                return Err(format!(
                    "referral {id} already has a proposal awaiting authorisation ({} by {})",
                    p.kind.label(),
                    inert(&p.proposed_by)
                ));
            }
            let mut choices = Vec::new();
            if r.state.can_decide() {
                choices.push(Choice::Nfa);
            }
            for out in [
                AssessmentOutcome::NoService,
                AssessmentOutcome::ServiceNeeded,
            ] {
                if r.state.can_record_outcome(out) {
                    choices.push(Choice::Outcome(out));
                }
            }
            if choices.is_empty() {
                return Err(format!(
                    "nothing can be proposed on referral {id}: it is {}",
                    r.state.label()
                ));
            }
            CaseDialog::new(kind, choices, &[FieldKind::Note])
        }
        CaseKind::RequestTransfer | CaseKind::DecideTransfer => {
            if closed {
                return Err(format!("referral {id} is closed: it cannot be transferred"));
            }
            match &d.transfer {
                None => {
                    let choices: Vec<Choice> = o
                        .teams
                        .iter()
                        .filter(|t| t.id != r.team_id)
                        .map(|t| Choice::Team(t.name.clone()))
                        .collect();
                    if choices.is_empty() {
                        return Err("there is no other team to transfer to".into());
                    }
                    CaseDialog::new(CaseKind::RequestTransfer, choices, &[FieldKind::Note])
                }
                Some(t) => {
                    let mine = o.me.and_then(|m| m.team_id);
                    let choices = if mine == Some(t.to_team_id) {
                        vec![Choice::AcceptTransfer, Choice::DeclineTransfer]
                    } else if mine == Some(t.from_team_id) {
                        vec![Choice::WithdrawTransfer]
                    } else {
                        vec![
                            Choice::AcceptTransfer,
                            Choice::DeclineTransfer,
                            Choice::WithdrawTransfer,
                        ]
                    };
                    CaseDialog::new(CaseKind::DecideTransfer, choices, &[FieldKind::Note])
                }
            }
        }
        CaseKind::Oversight => {
            if closed {
                return Err(format!(
                    "referral {id} is closed; oversight is recorded on open cases"
                ));
            }
            CaseDialog::new(
                kind,
                vec![
                    Choice::Kind(OversightKind::Supervision),
                    Choice::Kind(OversightKind::Oversight),
                ],
                &[
                    FieldKind::Discussed,
                    FieldKind::What,
                    FieldKind::By,
                    FieldKind::Owner,
                ],
            )
        }
    })
}

/// The desk's answer to a case dialog's command: Ok closes it with the
/// desk's summary on the status line; a refusal stays in the dialog and is
/// on the status line too, in the desk's words.
pub fn result(dialog: &mut Option<CaseDialog>, r: &Result<Outcome, DeskError>) -> Vec<Effect> {
    match r {
        Ok(out) => {
            let kind = dialog.as_ref().map(|d| d.kind);
            *dialog = None;
            let msg = match out {
                Outcome::Done { summary } => summary.clone(),
                Outcome::ReferralChanged { referral } => format!(
                    "referral {}: {}",
                    referral.referral.id,
                    referral.referral.state.label()
                ),
                _ => match kind {
                    Some(CaseKind::Accept) => "case accepted".into(),
                    _ => "saved".into(),
                },
            };
            vec![Effect::Status(inert(&msg))]
        }
        Err(e) => {
            let msg = e.to_string();
            if let Some(d) = dialog.as_mut() {
                d.error = Some(msg.clone());
            }
            vec![Effect::Status(inert(&msg))]
        }
    }
}

fn title(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::Accept => " Accept the case allocated to you (Rec 53) ",
        CaseKind::Authorise => " Authorise or return the proposal (Rec 25) ",
        CaseKind::Propose => " Propose for a manager's authorisation (Rec 25) ",
        CaseKind::RequestTransfer => " Transfer to another team (Rec 42) ",
        CaseKind::DecideTransfer => " The transfer waiting (Rec 42) ",
        CaseKind::Oversight => " Supervision or oversight (Rec 45) ",
    }
}

fn label(dlg: &CaseDialog, k: FieldKind) -> String {
    let reason = matches!(
        dlg.chosen(),
        Some(
            Choice::Return
                | Choice::Nfa
                | Choice::DeclineTransfer
                | Choice::WithdrawTransfer
                | Choice::Team(_)
        )
    );
    match k {
        FieldKind::Note => match dlg.kind {
            CaseKind::RequestTransfer => "Why it moves (required):".into(),
            _ if reason => "Why (required):".into(),
            _ => "Note (optional):".into(),
        },
        FieldKind::Late => "Reason it is late, to authorise it (Rec 35):".into(),
        FieldKind::Discussed => "What was discussed (required):".into(),
        FieldKind::What => format!("Action point {}: what is to happen:", dlg.items.len() + 1),
        FieldKind::By => "  by (dd/mm/yyyy):".into(),
        FieldKind::Owner => "  owner (login; with one it becomes their action):".into(),
    }
}

/// What the dialog acts on: the referral, the child, and the case's part.
fn head(dlg: &CaseDialog, d: &ReferralDetail, staff: &[Staff]) -> Vec<Line<'static>> {
    let child = inert_or(d.child.name.as_deref(), "(name not known)");
    let what = match dlg.kind {
        CaseKind::Accept => "The allocation",
        CaseKind::Authorise => "The proposal",
        CaseKind::Propose => "A proposal",
        CaseKind::RequestTransfer => "A transfer",
        CaseKind::DecideTransfer => "The transfer",
        CaseKind::Oversight => "A note on the case",
    };
    let mut v = vec![Line::from(vec![
        Span::styled(what.to_string(), Style::new().bold()),
        Span::raw(format!(
            " · {child} · referral {} · {}",
            d.referral.id,
            inert(&d.referral.team)
        )),
    ])];
    match dlg.kind {
        CaseKind::Accept => {
            if let Some(a) = &d.allocation {
                v.push(Line::from(format!(
                    "allocated to {} by {} {}",
                    inert_or(a.worker_name.as_deref(), &inert(&a.worker)),
                    name_of(staff, &a.allocated_by),
                    fmt_short(a.allocated_at)
                )));
                v.push(Line::from(format!("expected: {}", inert(&a.expected))));
                v.push(Line::from(format!(
                    "by {} · review {}",
                    day(a.by),
                    day(a.review)
                )));
            }
        }
        CaseKind::Authorise => {
            if let Some(p) = d.awaiting_authorisation() {
                let what = match p.outcome {
                    Some(o) => format!("{}: {}", p.kind.label(), o.label()),
                    None => p.kind.label().to_string(),
                };
                v.push(Line::from(format!(
                    "{what}, proposed by {} {}",
                    name_of(staff, &p.proposed_by),
                    fmt_short(p.proposed_at)
                )));
                if let Some(n) = &p.note {
                    v.push(Line::from(format!("their note: {}", inert(n))));
                }
            }
        }
        CaseKind::Propose => v.push(Line::from(format!(
            "the referral is {}; a duty manager authorises what you propose",
            d.referral.state.label()
        ))),
        CaseKind::RequestTransfer => v.push(Line::from(
            "it stays with this team, clocks running, until the other team's manager accepts it",
        )),
        CaseKind::DecideTransfer => {
            if let Some(t) = &d.transfer {
                v.push(Line::from(format!(
                    "from {} to {}, asked by {} {}",
                    inert(&t.from_team),
                    inert(&t.to_team),
                    name_of(staff, &t.requested_by),
                    fmt_short(t.requested_at)
                )));
                v.push(Line::from(format!("why: {}", inert(&t.reason))));
            }
        }
        CaseKind::Oversight => {
            let last = d
                .oversight
                .iter()
                .max_by_key(|o| (o.recorded_at, o.id))
                .map_or("never overseen before".to_string(), |o| {
                    format!(
                        "last overseen {} by {}",
                        fmt_short(o.recorded_at),
                        name_of(staff, &o.recorded_by)
                    )
                });
            v.push(Line::from(last));
        }
    }
    v.push(Line::from(""));
    v
}

/// Draws the dialog over the referral screen.
pub fn view(f: &mut Frame, area: Rect, dlg: &CaseDialog, d: &ReferralDetail, staff: &[Staff]) {
    let width = area.width.saturating_sub(4).min(76);
    let inner_w = width.saturating_sub(2) as usize;
    let head = head(dlg, d, staff);
    let mut lines: Vec<Line> = Vec::new();
    if dlg.has_list() && dlg.choice.is_none() {
        lines.push(Line::from(
            "Choose with Up/Down: nothing is chosen for you.".bold(),
        ));
    }
    for (i, (k, input)) in dlg.fields.iter().enumerate() {
        let focused = dlg.field_at() == Some(i);
        let mut l = label(dlg, *k);
        if *k == FieldKind::Late {
            l = format!(
                "LATE: was due {}. {l}",
                dlg.due.map(fmt_short).unwrap_or_default()
            );
        }
        lines.push(Line::from(Span::styled(
            l,
            if *k == FieldKind::Late {
                Urgency::Overdue.style()
            } else {
                Style::new().bold()
            },
        )));
        lines.push(input.line(inner_w, focused));
    }
    if let Some(seen) = dlg.seen {
        if dlg.chosen() != Some(&Choice::Return) {
            let mark = if seen { "[x]" } else { "[ ]" };
            let st = if dlg.on_box() {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new()
            };
            lines.push(Line::from(Span::styled(
                format!("{mark} the child and carer were seen and spoken to (Space)"),
                st,
            )));
        }
    }
    for (i, t) in dlg.items.iter().enumerate() {
        lines.push(Line::from(format!(
            "  {}. {} · by {} · {}",
            i + 1,
            inert(&t.what),
            day(t.by),
            t.owner
                .as_deref()
                .map_or("no owner: in the note only".to_string(), |o| format!(
                    "action for {}",
                    inert(o)
                ))
        )));
    }
    lines.push(Line::from(match dlg.kind {
        CaseKind::Accept => "Enter accept · Esc cancel (nothing changes)",
        CaseKind::Oversight => {
            "Up/Down kind · Tab next field · Enter adds the action point typed, or with none \
             records the note · Esc cancel"
        }
        _ => "Up/Down choose · Tab next field · Enter record · Esc cancel",
    }));
    if let Some(e) = &dlg.error {
        lines.push(Line::from(Span::styled(
            format!("! {}", inert(e)),
            Urgency::Overdue.style(),
        )));
    }
    let items: Vec<ListItem> = dlg
        .choices
        .iter()
        .map(|c| ListItem::new(c.label()))
        .collect();
    let head_h = rows_of(&head, inner_w as u16);
    let text_h = rows_of(&lines, inner_w as u16);
    let list_h = (items.len() as u16).min(
        area.height
            .saturating_sub(head_h + text_h + 2)
            .max((items.len() as u16).min(2)),
    );
    let height = (head_h + list_h + text_h + 2).min(area.height);
    let rect = centered(area, width, height);
    f.render_widget(Clear, rect);
    let block = Block::bordered().title(title(dlg.kind));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let [head_area, list_area, text_area] = Layout::vertical([
        Constraint::Length(head_h),
        Constraint::Length(list_h),
        Constraint::Min(1),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), head_area);
    if !items.is_empty() {
        let mut st = ListState::default().with_selected(dlg.choice);
        let hl = if dlg.on_list() {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        };
        f.render_stateful_widget(
            List::new(items).highlight_symbol("> ").highlight_style(hl),
            list_area,
            &mut st,
        );
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
}
