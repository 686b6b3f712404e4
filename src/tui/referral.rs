//! One referral: the child, earlier referrals of the same child, this
//! referral's actions with owners and due instants, and its chronology.
//! Assign, complete (a late one needs the reason, Rec 35), add a note, record
//! the decision. Every change is a `Command` run by the desk.

use chrono::{DateTime, Datelike, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Clear, List, ListItem, ListState, Paragraph, Row, Table, TableState,
};
use ratatui::Frame;

use super::screen::{Ctx, Effect, Screen};
use super::widgets::{self, centered, inert, inert_or, urgency, LineInput, Urgency};
use crate::desk::{Action, Staff};
use crate::desk::{Client, ClosureCheck, Command, DeskError, ItemStatus, Outcome, ReferralDetail};
use crate::domain::allocation::duty_owner_problem;
use crate::domain::closure::{ChecklistItem, Missing};
use crate::domain::endings::{is_late, Ending};
use crate::domain::permissions::{self, Access, Permission};
use crate::domain::time::{fmt_short, london_date};
use crate::domain::{AssessmentOutcome, ClosureReason, Decision, ReferralState, Role};

pub fn actions() -> &'static [(&'static str, &'static str)] {
    &[
        (
            "chronology",
            "the child's chronology across all referrals (Rec 58)",
        ),
        ("select-next", "select the next action"),
        ("select-prev", "select the previous action"),
        ("assign", "assign or re-assign the selected action (Rec 54)"),
        (
            "allocate",
            "allocate the case whole to a worker, seeing each one's caseload (Rec 52, 53)",
        ),
        (
            "complete",
            "complete the selected action with its outcome (late: reason, Rec 35)",
        ),
        ("note", "add a note to the chronology (Rec 58)"),
        ("decide", "record the decision on the referral"),
        (
            "close",
            "close the referral with a CIN reason RC1-RC9 (duty manager; Rec 26, Rec 40)",
        ),
        (
            "checklist",
            "the closure checklist: d done now, r reason not done (Rec 26, Rec 40)",
        ),
        (
            "outcome",
            "record the assessment outcome: no service, service needed or provided",
        ),
        ("scroll-down", "scroll the chronology towards the newest"),
        ("scroll-up", "scroll the chronology back"),
    ]
}

const MAX_LINE: usize = 500;
const MAX_TEXT: usize = 4000;

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Assign {
        action_id: i64,
        /// Index into the team's staff; `staff.len()` means nobody.
        choice: usize,
        error: Option<String>,
    },
    Complete {
        action_id: i64,
        due_at: DateTime<Utc>,
        outcome: LineInput,
        reason: LineInput,
        /// 0: outcome, 1: late reason.
        field: usize,
        error: Option<String>,
    },
    Note {
        text: LineInput,
        error: Option<String>,
    },
    Decide {
        choice: usize,
        note: LineInput,
        /// The open decision action's due instant: past it, a reason is asked.
        due_at: Option<DateTime<Utc>>,
        reason: LineInput,
        /// 0: the list, 1: the note, 2: the late reason.
        field: usize,
        error: Option<String>,
    },
    /// Pass the call to a duty worker or duty manager at work (Rec 39).
    Pass {
        action_id: i64,
        due_at: DateTime<Utc>,
        /// Index into the duty staff at work.
        choice: usize,
        reason: LineInput,
        /// 0: the list, 1: the late reason.
        field: usize,
        error: Option<String>,
    },
    /// Close the referral: a CIN reason, a note, and optionally close the
    /// open actions as not needed with a reason.
    Close {
        /// Index into `ClosureReason::ALL`; none until one is chosen (there
        /// is no default reason: each is a statement to the DfE).
        choice: Option<usize>,
        note: LineInput,
        cancel: LineInput,
        /// 0: the reasons, 1: the note, 2: the reason for closing open actions.
        field: usize,
        error: Option<String>,
        /// What the desk said is missing after a refused close.
        missing: Vec<String>,
    },
    /// The closure checklist: the items this referral needs.
    Checklist {
        /// Index into `ClosureCheck::required`.
        choice: usize,
        /// Some while typing the reason the selected item was not done.
        reason: Option<LineInput>,
        error: Option<String>,
    },
    /// The assessment outcome.
    Outcome {
        /// Index into `AssessmentOutcome::ALL`.
        choice: usize,
        /// The open assessment's due instant: past it, a reason is asked.
        due_at: Option<DateTime<Utc>>,
        reason: LineInput,
        /// 0: the list, 1: the late reason.
        field: usize,
        error: Option<String>,
    },
}

impl Dialog {
    fn set_error(&mut self, msg: String) {
        match self {
            Dialog::Assign { error, .. }
            | Dialog::Complete { error, .. }
            | Dialog::Note { error, .. }
            | Dialog::Decide { error, .. }
            | Dialog::Pass { error, .. }
            | Dialog::Checklist { error, .. }
            | Dialog::Outcome { error, .. } => *error = Some(msg),
            Dialog::Close { error, missing, .. } => {
                *error = Some(msg);
                missing.clear();
            }
        }
    }

    fn error(&self) -> Option<&str> {
        match self {
            Dialog::Assign { error, .. }
            | Dialog::Complete { error, .. }
            | Dialog::Note { error, .. }
            | Dialog::Decide { error, .. }
            | Dialog::Pass { error, .. }
            | Dialog::Close { error, .. }
            | Dialog::Checklist { error, .. }
            | Dialog::Outcome { error, .. } => error.as_deref(),
        }
    }
}

#[derive(Debug, Default)]
pub struct ReferralScreen {
    pub id: i64,
    pub detail: Option<ReferralDetail>,
    /// The referral's team, for the assign dialog (active staff only).
    pub staff: Vec<Staff>,
    /// Index into `detail.actions`.
    pub selected: usize,
    /// Chronology lines scrolled back from the newest.
    pub chron_back: usize,
    pub dialog: Option<Dialog>,
    /// The closure checklist and what still stops a close (loaded in `reload`).
    pub closure: Option<ClosureCheck>,
    /// A command of this screen's is running: its result closes the dialog.
    pub waiting: bool,
}

/// Age in whole years on `today`.
fn age_years(dob: chrono::NaiveDate, today: chrono::NaiveDate) -> i32 {
    let mut y = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        y -= 1;
    }
    y
}

impl ReferralScreen {
    pub fn new(
        desk: &mut Client,
        referral_id: i64,
        now: DateTime<Utc>,
    ) -> Result<ReferralScreen, DeskError> {
        let mut s = ReferralScreen {
            id: referral_id,
            ..Default::default()
        };
        // Opening the screen is an opening of the record, logged with the
        // read (Rec 58); reloads while it stays open are refreshes.
        desk.referral(referral_id, "tui referral", None)?;
        s.reload(desk, now)?;
        Ok(s)
    }

    pub fn selected_action(&self) -> Option<&Action> {
        self.detail.as_ref()?.actions.get(self.selected)
    }

    /// Selects one action by id (the row chosen in the queue), if it is here.
    pub fn select_action(&mut self, action_id: i64) {
        if let Some(i) = self
            .detail
            .as_ref()
            .and_then(|d| d.actions.iter().position(|a| a.id == action_id))
        {
            self.selected = i;
        }
    }

    /// The earliest due instant of the open actions that end `ending`'s way.
    fn open_due(&self, ending: Ending) -> Option<DateTime<Utc>> {
        self.detail
            .as_ref()?
            .actions
            .iter()
            .filter(|a| a.is_open() && a.kind.ending() == ending)
            .map(|a| a.due_at)
            .min()
    }

    /// Duty workers and managers of the team who are at work now: who a call
    /// may be passed to (Rec 39), by the allocation rule.
    fn duty_at_work(&self, now: DateTime<Utc>) -> Vec<&Staff> {
        self.staff
            .iter()
            .filter(|s| duty_owner_problem(&s.owner_facts(), now).is_none())
            .collect()
    }

    fn open_dialog(&mut self, action: &str, ctx: &Ctx) -> Vec<Effect> {
        let Some(d) = &self.detail else {
            return Vec::new();
        };
        match action {
            "assign" | "complete" => {
                let Some(a) = self.selected_action().cloned() else {
                    return vec![Effect::Status("this referral has no actions".into())];
                };
                if !a.is_open() {
                    return vec![Effect::Status(format!(
                        "{} is already done",
                        a.kind.label()
                    ))];
                }
                if action == "assign" {
                    let choice = a
                        .owner
                        .as_deref()
                        .and_then(|o| self.staff.iter().position(|s| s.login == o))
                        .unwrap_or(0);
                    self.dialog = Some(Dialog::Assign {
                        action_id: a.id,
                        choice,
                        error: None,
                    });
                } else {
                    // Each kind ends its own way (domain::endings).
                    match a.kind.ending() {
                        Ending::Outcome => {}
                        Ending::Decision => return self.open_dialog("decide", ctx),
                        Ending::AssessmentOutcome => return self.open_dialog("outcome", ctx),
                        Ending::PassedToDuty => {
                            if self.duty_at_work(ctx.now).is_empty() {
                                return vec![Effect::Status(
                                    "nobody on this team's duty staff is at work to pass the \
                                     call to (Rec 39)"
                                        .into(),
                                )];
                            }
                            self.dialog = Some(Dialog::Pass {
                                action_id: a.id,
                                due_at: a.due_at,
                                choice: 0,
                                reason: LineInput::new(MAX_LINE),
                                field: 0,
                                error: None,
                            });
                            return Vec::new();
                        }
                        e @ (Ending::StrategyRecorded | Ending::Circulated) => {
                            return vec![Effect::Status(format!(
                                "{} {} (`{}`)",
                                a.kind.short(),
                                e.describe(),
                                e.command(a.id, d.referral.id)
                            ))];
                        }
                        e @ (Ending::ConfirmationReceived | Ending::FeedbackSent) => {
                            return vec![Effect::Status(format!(
                                "use the confirmations screen (c on the queue): {} {} (`{}`)",
                                a.kind.short(),
                                e.describe(),
                                e.command(a.id, d.referral.id)
                            ))];
                        }
                    }
                    self.dialog = Some(Dialog::Complete {
                        action_id: a.id,
                        due_at: a.due_at,
                        outcome: LineInput::new(MAX_TEXT),
                        reason: LineInput::new(MAX_LINE),
                        field: 0,
                        error: None,
                    });
                }
            }
            "note" => {
                self.dialog = Some(Dialog::Note {
                    text: LineInput::new(MAX_TEXT),
                    error: None,
                })
            }
            "decide" => {
                if !d.referral.state.can_decide() {
                    return vec![Effect::Status(format!(
                        "this referral already has a decision ({})",
                        d.referral.state.label()
                    ))];
                }
                if ctx.me.is_some_and(|m| {
                    permissions::access(m.role, Permission::RecordDecision) == Access::No
                }) {
                    return vec![Effect::Status(
                        "only a duty manager records the decision on a referral".into(),
                    )];
                }
                self.dialog = Some(Dialog::Decide {
                    choice: 0,
                    note: LineInput::new(MAX_LINE),
                    due_at: self.open_due(Ending::Decision),
                    reason: LineInput::new(MAX_LINE),
                    field: 0,
                    error: None,
                })
            }
            "close" => {
                if d.referral.state == ReferralState::Closed {
                    return vec![Effect::Status(format!(
                        "referral {} is already closed",
                        self.id
                    ))];
                }
                // Only a duty manager closes: the desk refuses anyone else and
                // the refusal shows in the dialog. No reason is chosen for them.
                self.dialog = Some(Dialog::Close {
                    choice: None,
                    note: LineInput::new(MAX_LINE),
                    cancel: LineInput::new(MAX_LINE),
                    field: 0,
                    error: None,
                    missing: Vec::new(),
                })
            }
            "checklist" => {
                let Some(c) = &self.closure else {
                    return vec![Effect::Status("the closure checklist is not loaded".into())];
                };
                if c.required.is_empty() {
                    return vec![Effect::Status(
                        "no closure checklist applies: only to deliberate harm (Rec 40) or a \
                         referral decided for assessment or section 47 (Rec 26)"
                            .into(),
                    )];
                }
                self.dialog = Some(Dialog::Checklist {
                    choice: 0,
                    reason: None,
                    error: None,
                })
            }
            "outcome" => {
                let choice = AssessmentOutcome::ALL
                    .iter()
                    .position(|o| d.referral.state.can_record_outcome(*o))
                    .unwrap_or(0);
                self.dialog = Some(Dialog::Outcome {
                    choice,
                    due_at: self.open_due(Ending::AssessmentOutcome),
                    reason: LineInput::new(MAX_LINE),
                    field: 0,
                    error: None,
                })
            }
            _ => {}
        }
        Vec::new()
    }

    /// A key while a dialog is open.
    fn dialog_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Vec<Effect> {
        let staff_len = self.staff.len();
        let referral_id = self.id;
        let required: Vec<ChecklistItem> = self
            .closure
            .as_ref()
            .map(|c| c.required.clone())
            .unwrap_or_default();
        let Some(dialog) = self.dialog.as_mut() else {
            return Vec::new();
        };
        // Esc while typing a checklist reason goes back to the list.
        if let Dialog::Checklist { reason, .. } = dialog {
            if key.code == KeyCode::Esc && reason.is_some() {
                *reason = None;
                return Vec::new();
            }
        }
        if key.code == KeyCode::Esc {
            self.dialog = None;
            return vec![Effect::Status("cancelled: nothing changed".into())];
        }
        if self.waiting {
            return Vec::new();
        }
        let submit = key.code == KeyCode::Enter;
        let cmd = match dialog {
            Dialog::Assign {
                action_id, choice, ..
            } => {
                match key.code {
                    KeyCode::Down | KeyCode::Char('j') => *choice = (*choice + 1).min(staff_len),
                    KeyCode::Up | KeyCode::Char('k') => *choice = choice.saturating_sub(1),
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                Command::AssignAction {
                    action_id: *action_id,
                    owner: self.staff.get(*choice).map(|s| s.login.clone()),
                }
            }
            Dialog::Complete {
                action_id,
                due_at,
                outcome,
                reason,
                field,
                error,
            } => {
                let late = is_late(ctx.now, *due_at);
                match key.code {
                    KeyCode::Tab | KeyCode::BackTab | KeyCode::Down | KeyCode::Up if late => {
                        *field = 1 - *field;
                        return Vec::new();
                    }
                    KeyCode::Enter => {}
                    _ => {
                        if *field == 0 || !late {
                            outcome.handle(&key);
                        } else {
                            reason.handle(&key);
                        }
                        return Vec::new();
                    }
                }
                let Some(out) = outcome.trimmed() else {
                    *error = Some("write the outcome: what was done".into());
                    *field = 0;
                    return Vec::new();
                };
                let late_reason = reason.trimmed();
                if late && late_reason.is_none() {
                    *error = Some(format!(
                        "this action was due {}: give the reason it is late (Rec 35)",
                        fmt_short(*due_at)
                    ));
                    *field = 1;
                    return Vec::new();
                }
                Command::CompleteAction {
                    action_id: *action_id,
                    outcome: out,
                    late_reason: if late { late_reason } else { None },
                    at: None,
                }
            }
            Dialog::Note { text, error } => {
                if !submit {
                    text.handle(&key);
                    return Vec::new();
                }
                let Some(t) = text.trimmed() else {
                    *error = Some("the note is empty".into());
                    return Vec::new();
                };
                Command::AddNote {
                    referral_id,
                    text: t,
                }
            }
            Dialog::Decide {
                choice,
                note,
                due_at,
                reason,
                field,
                error,
            } => {
                let n = Decision::ALL.len();
                let late = due_at.is_some_and(|d| is_late(ctx.now, d));
                let fields = if late { 3 } else { 2 };
                match key.code {
                    KeyCode::Tab => {
                        *field = (*field + 1) % fields;
                        return Vec::new();
                    }
                    KeyCode::BackTab => {
                        *field = (*field + fields - 1) % fields;
                        return Vec::new();
                    }
                    KeyCode::Down if *field == 0 => *choice = (*choice + 1).min(n - 1),
                    KeyCode::Up if *field == 0 => *choice = choice.saturating_sub(1),
                    KeyCode::Enter => {}
                    _ if *field == 1 => {
                        note.handle(&key);
                    }
                    _ if *field == 2 => {
                        reason.handle(&key);
                    }
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                let decision = Decision::ALL[(*choice).min(n - 1)];
                if decision == Decision::OtherAgency && note.trimmed().is_none() {
                    *error = Some(
                        "referring to another agency needs the agency and the purpose (Rec 48)"
                            .into(),
                    );
                    *field = 1;
                    return Vec::new();
                }
                if late && reason.trimmed().is_none() {
                    *error = Some(format!(
                        "the decision was due {}: give the reason it is late (Rec 35)",
                        due_at.map(fmt_short).unwrap_or_default()
                    ));
                    *field = 2;
                    return Vec::new();
                }
                Command::RecordDecision {
                    referral_id,
                    decision,
                    note: note.trimmed(),
                    at: None,
                    late_reason: if late { reason.trimmed() } else { None },
                }
            }
            Dialog::Pass {
                action_id,
                due_at,
                choice,
                reason,
                field,
                error,
            } => {
                let late = is_late(ctx.now, *due_at);
                let n = self
                    .staff
                    .iter()
                    .filter(|s| duty_owner_problem(&s.owner_facts(), ctx.now).is_none())
                    .count();
                match key.code {
                    KeyCode::Tab | KeyCode::BackTab if late => {
                        *field = 1 - *field;
                        return Vec::new();
                    }
                    KeyCode::Down if *field == 0 => {
                        *choice = (*choice + 1).min(n.saturating_sub(1))
                    }
                    KeyCode::Up if *field == 0 => *choice = choice.saturating_sub(1),
                    KeyCode::Enter => {}
                    _ if *field == 1 => {
                        reason.handle(&key);
                    }
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                let Some(to) = self
                    .staff
                    .iter()
                    .filter(|s| duty_owner_problem(&s.owner_facts(), ctx.now).is_none())
                    .nth(*choice)
                else {
                    *error = Some("choose who the call was passed to".into());
                    return Vec::new();
                };
                if late && reason.trimmed().is_none() {
                    *error = Some(format!(
                        "passing to duty was due {}: give the reason it is late (Rec 35)",
                        fmt_short(*due_at)
                    ));
                    *field = 1;
                    return Vec::new();
                }
                Command::PassToDuty {
                    action_id: *action_id,
                    to_login: to.login.clone(),
                    at: None,
                    late_reason: if late { reason.trimmed() } else { None },
                }
            }
            Dialog::Close {
                choice,
                note,
                cancel,
                field,
                error,
                ..
            } => {
                let n = ClosureReason::ALL.len();
                match key.code {
                    KeyCode::Tab => {
                        *field = (*field + 1) % 3;
                        return Vec::new();
                    }
                    KeyCode::BackTab => {
                        *field = (*field + 2) % 3;
                        return Vec::new();
                    }
                    KeyCode::Down if *field == 0 => {
                        *choice = Some(choice.map_or(0, |c| (c + 1).min(n - 1)))
                    }
                    KeyCode::Up if *field == 0 => {
                        *choice = Some(choice.map_or(0, |c| c.saturating_sub(1)))
                    }
                    KeyCode::Enter => {}
                    _ if *field == 1 => {
                        note.handle(&key);
                    }
                    _ if *field == 2 => {
                        cancel.handle(&key);
                    }
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                let Some(c) = *choice else {
                    *error = Some(
                        "choose the closure reason (Up/Down): there is no default, each is a \
                         statement in the census return"
                            .into(),
                    );
                    *field = 0;
                    return Vec::new();
                };
                Command::CloseReferral {
                    referral_id,
                    reason: ClosureReason::ALL[c.min(n - 1)],
                    note: note.trimmed(),
                    cancel_open_actions: cancel.trimmed(),
                }
            }
            Dialog::Checklist {
                choice,
                reason,
                error,
            } => {
                let n = required.len();
                if n == 0 {
                    return Vec::new();
                }
                let item = required[(*choice).min(n - 1)];
                if let Some(r) = reason {
                    if !submit {
                        r.handle(&key);
                        return Vec::new();
                    }
                    let Some(why) = r.trimmed() else {
                        *error = Some(format!("write why {} was not done", item.label()));
                        return Vec::new();
                    };
                    Command::RecordChecklistItem {
                        referral_id,
                        item,
                        status: ItemStatus::NotDone { reason: why },
                        note: None,
                    }
                } else {
                    match key.code {
                        KeyCode::Down | KeyCode::Char('j') => {
                            *choice = (*choice + 1).min(n - 1);
                            return Vec::new();
                        }
                        KeyCode::Up | KeyCode::Char('k') => {
                            *choice = choice.saturating_sub(1);
                            return Vec::new();
                        }
                        KeyCode::Char('r') => {
                            *reason = Some(LineInput::new(MAX_LINE));
                            *error = None;
                            return Vec::new();
                        }
                        KeyCode::Char('d') => Command::RecordChecklistItem {
                            referral_id,
                            item,
                            status: ItemStatus::Done { at: None },
                            note: None,
                        },
                        _ => return Vec::new(),
                    }
                }
            }
            Dialog::Outcome {
                choice,
                due_at,
                reason,
                field,
                error,
            } => {
                let n = AssessmentOutcome::ALL.len();
                let picked = AssessmentOutcome::ALL[(*choice).min(n - 1)];
                let late = picked != AssessmentOutcome::ServiceProvided
                    && due_at.is_some_and(|d| is_late(ctx.now, d));
                match key.code {
                    KeyCode::Tab | KeyCode::BackTab if late => {
                        *field = 1 - *field;
                        return Vec::new();
                    }
                    KeyCode::Down | KeyCode::Char('j') if *field == 0 => {
                        *choice = (*choice + 1).min(n - 1)
                    }
                    KeyCode::Up | KeyCode::Char('k') if *field == 0 => {
                        *choice = choice.saturating_sub(1)
                    }
                    KeyCode::Enter => {}
                    _ if *field == 1 => {
                        reason.handle(&key);
                    }
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                if late && reason.trimmed().is_none() {
                    *error = Some(format!(
                        "the assessment was due {}: give the reason it is late",
                        due_at.map(fmt_short).unwrap_or_default()
                    ));
                    *field = 1;
                    return Vec::new();
                }
                Command::RecordOutcome {
                    referral_id,
                    outcome: picked,
                    at: None,
                    late_reason: if late { reason.trimmed() } else { None },
                }
            }
        };
        self.waiting = true;
        vec![Effect::Execute(cmd)]
    }

    fn child_lines(&self, d: &ReferralDetail, now: DateTime<Utc>) -> Vec<Line<'static>> {
        let c = &d.child;
        let r = &d.referral;
        let age = if let Some(dob) = c.dob {
            let today = london_date(now);
            let years = age_years(dob, today);
            let age = if years < 2 {
                let months = (today.year() - dob.year()) * 12 + today.month() as i32
                    - dob.month() as i32
                    - i32::from(today.day() < dob.day());
                format!("{} months", months.max(0))
            } else {
                format!("{years}")
            };
            format!("age {age} (born {})", dob.format("%d/%m/%Y"))
        } else if let Some(y) = c.dob_approx_years {
            format!("age about {y} (date of birth not known)")
        } else if let Some(e) = c.expected_date {
            format!("unborn, expected {}", e.format("%d/%m/%Y"))
        } else {
            "age not known".into()
        };
        let lang = match (&c.first_language, c.interpreter_needed) {
            (Some(l), true) => format!("language {}: INTERPRETER NEEDED (Rec 18)", inert(l)),
            (Some(l), false) => format!("language {}", inert(l)),
            (None, true) => "INTERPRETER NEEDED (Rec 18)".into(),
            (None, false) => "language not recorded".into(),
        };
        let mut flags = Vec::new();
        if r.deliberate_harm {
            flags.push("DELIBERATE HARM ALLEGED (Rec 35)");
        }
        if r.possible_crime {
            flags.push("POSSIBLE CRIME (Rec 98)");
        }
        let state = match (r.state, &r.decision_note) {
            (ReferralState::OtherAgency, Some(n)) => {
                format!("{} ({})", r.state.label(), inert(n))
            }
            _ => r.state.label().to_string(),
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled(
                    format!(" {}", inert_or(c.name.as_deref(), "(name not known)")),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!("   {age}   {lang}")),
            ]),
            Line::from(format!(
                " address: {}",
                inert_or(c.address.as_deref(), "not known")
            )),
            Line::from(format!(
                " source {} {} · team {}",
                r.source.code(),
                r.source.label(),
                inert(&r.team)
            )),
            Line::from(vec![
                Span::raw(format!(
                    " referral {} · received {} · ",
                    r.id,
                    fmt_short(r.received_at),
                )),
                Span::styled(state, Style::new().bold()),
            ]),
        ];
        if !flags.is_empty() {
            lines.push(Line::from(Span::styled(
                format!(" {}", flags.join(" · ")),
                Urgency::Overdue.style(),
            )));
        }
        lines
    }

    fn previous_lines(&self, d: &ReferralDetail, max: usize) -> Vec<Line<'static>> {
        let mut out = vec![Line::from(Span::styled(
            if d.previous.is_empty() {
                " No previous referrals of this child".to_string()
            } else {
                format!(
                    " Previous referrals of this child: {} (start-again check)",
                    d.previous.len()
                )
            },
            Style::new().bold(),
        ))];
        // Newest first: the most recent history matters most.
        for p in d.previous.iter().rev().take(max) {
            let closure = p
                .closure_reason
                .map(|c| format!(", closed {} {}", c.code(), c.label()))
                .unwrap_or_default();
            out.push(Line::from(format!(
                "   {}  #{}  {} · {}{}",
                p.received_at.format("%d/%m/%Y"),
                p.id,
                p.source.label(),
                p.state.label(),
                closure
            )));
        }
        if d.previous.len() > max {
            out.push(Line::from(format!(
                "   … and {} earlier",
                d.previous.len() - max
            )));
        }
        out
    }
}

struct Areas {
    child: Rect,
    previous: Rect,
    actions: Rect,
    chronology: Rect,
}

fn areas(area: Rect, d: &ReferralDetail) -> (Areas, usize) {
    let max_prev = if area.height >= 40 { 4 } else { 2 };
    let prev_lines = 1 + d.previous.len().min(max_prev) + usize::from(d.previous.len() > max_prev);
    let action_rows = d
        .actions
        .len()
        .clamp(1, if area.height >= 40 { 12 } else { 6 });
    let [child, previous, actions, chronology] = Layout::vertical([
        Constraint::Length(4 + u16::from(d.referral.deliberate_harm || d.referral.possible_crime)),
        Constraint::Length(prev_lines as u16),
        Constraint::Length(action_rows as u16 + 3),
        Constraint::Min(3),
    ])
    .areas(area);
    (
        Areas {
            child,
            previous,
            actions,
            chronology,
        },
        max_prev,
    )
}

impl Screen for ReferralScreen {
    fn title(&self) -> String {
        match &self.detail {
            Some(d) => format!(
                "Referral {}: {}",
                self.id,
                inert_or(d.child.name.as_deref(), "(name not known)")
            ),
            None => format!("Referral {}", self.id),
        }
    }

    fn keymap_section(&self) -> &'static str {
        "referral"
    }

    fn reload(&mut self, desk: &mut Client, _now: DateTime<Utc>) -> Result<(), DeskError> {
        let d = desk.refresh_referral(self.id)?;
        self.staff = desk
            .staff(Some(d.referral.team_id))?
            .into_iter()
            .filter(|s| s.active && s.role != Role::Director)
            .collect();
        self.selected = self.selected.min(d.actions.len().saturating_sub(1));
        self.detail = Some(d);
        self.closure = Some(desk.closure_check(self.id)?);
        Ok(())
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, ctx: &Ctx) -> Vec<Effect> {
        if self.dialog.is_some() {
            return self.dialog_key(key, ctx);
        }
        let n = self.detail.as_ref().map_or(0, |d| d.actions.len());
        match action {
            Some("select-next") => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Some("select-prev") => self.selected = self.selected.saturating_sub(1),
            Some("scroll-up") => self.chron_back += 5,
            Some("scroll-down") => self.chron_back = self.chron_back.saturating_sub(5),
            Some("chronology") => {
                if let Some(d) = &self.detail {
                    return vec![Effect::Open(super::screen::Open::Chronology(d.child.id))];
                }
            }
            Some("allocate") => {
                return vec![Effect::Open(super::screen::Open::Allocate(self.id))];
            }
            Some(
                a @ ("assign" | "complete" | "note" | "decide" | "close" | "checklist" | "outcome"),
            ) => return self.open_dialog(a, ctx),
            _ => {}
        }
        Vec::new()
    }

    fn on_result(&mut self, result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        self.waiting = false;
        match result {
            Ok(out) => {
                // The checklist stays open: several items are usually recorded
                // together. Any other dialog is done.
                match self.dialog.as_mut() {
                    Some(Dialog::Checklist { reason, error, .. }) => {
                        *reason = None;
                        *error = None;
                    }
                    _ => self.dialog = None,
                }
                let msg = match out {
                    Outcome::Done { summary } => summary.clone(),
                    Outcome::ActionChanged { action } => match (&action.done_at, &action.owner) {
                        (Some(_), _) => format!("{} done", action.kind.label()),
                        (None, Some(o)) => format!("{} assigned to {}", action.kind.label(), o),
                        (None, None) => format!("{} is unallocated", action.kind.label()),
                    },
                    Outcome::ReferralChanged { referral } => {
                        format!(
                            "referral {}: {}",
                            referral.referral.id,
                            referral.referral.state.label()
                        )
                    }
                    _ => "saved".into(),
                };
                vec![Effect::Status(msg)]
            }
            Err(DeskError::Incomplete { what, missing }) => {
                match self.dialog.as_mut() {
                    Some(Dialog::Close {
                        error, missing: m, ..
                    }) => {
                        *error = Some(what.clone());
                        *m = missing.clone();
                    }
                    Some(d) => d.set_error(what.clone()),
                    None => {}
                }
                // One line in the status bar; the list is in the dialog.
                vec![Effect::Status(format!(
                    "{what}: {} to settle (listed in the dialog)",
                    missing.len()
                ))]
            }
            Err(e) => {
                if let Some(d) = self.dialog.as_mut() {
                    d.set_error(e.to_string());
                }
                Vec::new()
            }
        }
    }

    fn captures_text(&self) -> bool {
        self.dialog.is_some()
    }

    fn on_mouse(&mut self, ev: MouseEvent, area: Rect, _ctx: &Ctx) -> Vec<Effect> {
        let Some(d) = &self.detail else {
            return Vec::new();
        };
        let (a, _) = areas(area, d);
        match ev.kind {
            MouseEventKind::ScrollUp => self.chron_back += 3,
            MouseEventKind::ScrollDown => self.chron_back = self.chron_back.saturating_sub(3),
            MouseEventKind::Down(MouseButton::Left) if self.dialog.is_none() => {
                let first = a.actions.y + 2;
                if ev.row >= first && ev.row < a.actions.bottom().saturating_sub(1) {
                    let i = usize::from(ev.row - first);
                    if i < d.actions.len() {
                        self.selected = i;
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn view(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let Some(d) = &self.detail else {
            f.render_widget(Paragraph::new(" loading…"), area);
            return;
        };
        let (a, max_prev) = areas(area, d);
        f.render_widget(Paragraph::new(self.child_lines(d, ctx.now)), a.child);
        f.render_widget(Paragraph::new(self.previous_lines(d, max_prev)), a.previous);

        let rows: Vec<Row> = d
            .actions
            .iter()
            .map(|act| {
                if let Some(done) = act.done_at {
                    let late = act
                        .late_reason
                        .as_deref()
                        .map(|l| format!(" LATE: {}", inert(l)))
                        .unwrap_or_default();
                    return Row::new(vec![
                        if act.is_cancelled() { "--" } else { "ok" }.to_string(),
                        act.kind.short().to_string(),
                        inert_or(act.done_by.as_deref(), "?"),
                        format!(
                            "{} {}",
                            if act.is_cancelled() {
                                "cancelled"
                            } else {
                                "done"
                            },
                            crate::domain::time::to_london(done).format("%d/%m %H:%M")
                        ),
                        format!("{}{late}", inert_or(act.outcome.as_deref(), "")),
                    ])
                    .style(Style::new().add_modifier(Modifier::DIM));
                }
                let u = urgency(act.due_at, ctx.now);
                let owner = match &act.owner {
                    None => "UNALLOCATED".to_string(),
                    Some(o) => {
                        let away = self
                            .staff
                            .iter()
                            .any(|s| &s.login == o && s.is_absent(ctx.now));
                        if away {
                            format!("{}(away)", inert(o))
                        } else {
                            inert(o)
                        }
                    }
                };
                Row::new(vec![
                    u.marker().to_string(),
                    act.kind.short().to_string(),
                    owner,
                    widgets::countdown_text(act.due_at, ctx.now),
                    format!("due {}", fmt_short(act.due_at)),
                ])
                .style(u.style())
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(2),
                Constraint::Length(17),
                Constraint::Length(13),
                Constraint::Length(16),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(vec!["", "action", "owner", "due", ""]).style(Style::new().bold()))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .block(Block::bordered().title(format!(" Actions ({}) ", d.actions.len())));
        let mut st = TableState::default();
        if !d.actions.is_empty() {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(table, a.actions, &mut st);

        // Chronology: significant events, newest last (Rec 58).
        let lines: Vec<Line> = d
            .events
            .iter()
            .filter(|e| e.significant)
            .map(|e| {
                Line::from(vec![
                    Span::styled(format!(" {} ", fmt_short(e.at)), Style::new().bold()),
                    Span::raw(format!("{:<8} ", inert(&e.acting_login))),
                    Span::raw(inert(&e.summary)),
                ])
            })
            .collect();
        let inner_h = a.chronology.height.saturating_sub(2) as usize;
        let back = self.chron_back.min(lines.len().saturating_sub(inner_h));
        let start = lines.len().saturating_sub(inner_h + back);
        let shown: Vec<Line> = lines.iter().skip(start).take(inner_h).cloned().collect();
        f.render_widget(
            Paragraph::new(shown).block(Block::bordered().title(format!(
                " Chronology ({} entries{}) ",
                lines.len(),
                if back > 0 { ", scrolled back" } else { "" }
            ))),
            a.chronology,
        );

        if let Some(dialog) = &self.dialog {
            self.view_dialog(f, area, dialog, ctx);
        }
    }
}

impl ReferralScreen {
    fn view_dialog(&self, f: &mut Frame, area: Rect, dialog: &Dialog, ctx: &Ctx) {
        let width = area.width.saturating_sub(4).min(72);
        let inner_w = width.saturating_sub(2) as usize;
        let mut lines: Vec<Line> = Vec::new();
        let title;
        let mut list: Option<(Vec<ListItem>, Option<usize>)> = None;
        match dialog {
            Dialog::Assign { choice, .. } => {
                title = " Assign to ";
                let mut items: Vec<ListItem> = self
                    .staff
                    .iter()
                    .map(|s| {
                        let absent = if s.is_absent(ctx.now) {
                            "  (absent)"
                        } else {
                            ""
                        };
                        ListItem::new(format!(
                            "{} ({}) · {}{absent}",
                            inert(&s.display_name),
                            inert(&s.login),
                            s.role.label()
                        ))
                    })
                    .collect();
                items.push(ListItem::new("nobody: leave it UNALLOCATED"));
                list = Some((items, Some(*choice)));
                lines.push(Line::from("Up/Down choose · Enter assign · Esc cancel"));
            }
            Dialog::Complete {
                due_at,
                outcome,
                reason,
                field,
                ..
            } => {
                title = " Complete action ";
                let late = is_late(ctx.now, *due_at);
                lines.push(Line::from("Outcome (what was done):".bold()));
                lines.push(outcome.line(inner_w, *field == 0 || !late));
                if late {
                    lines.push(Line::from(Span::styled(
                        format!(
                            "LATE: was due {}. Reason it is late (Rec 35):",
                            fmt_short(*due_at)
                        ),
                        Urgency::Overdue.style(),
                    )));
                    lines.push(reason.line(inner_w, *field == 1));
                    lines.push(Line::from("Tab switch field · Enter complete · Esc cancel"));
                } else {
                    lines.push(Line::from("Enter complete · Esc cancel"));
                }
            }
            Dialog::Note { text, .. } => {
                title = " Add a note ";
                lines.push(Line::from("Note for the chronology:".bold()));
                lines.push(text.line(inner_w, true));
                lines.push(Line::from("Enter save · Esc cancel"));
            }
            Dialog::Decide {
                choice,
                note,
                due_at,
                reason,
                field,
                ..
            } => {
                title = " Decision on the referral ";
                let items = Decision::ALL
                    .iter()
                    .map(|d| ListItem::new(format!("{:<13} {}", d.as_str(), d.label())))
                    .collect();
                list = Some((items, Some(*choice)));
                lines.push(Line::from(
                    "Note (required for other_agency: agency and purpose, Rec 48):".bold(),
                ));
                lines.push(note.line(inner_w, *field == 1));
                if let Some(d) = due_at.filter(|d| is_late(ctx.now, *d)) {
                    lines.push(Line::from(Span::styled(
                        format!(
                            "LATE: was due {}. Reason it is late (Rec 35):",
                            fmt_short(d)
                        ),
                        Urgency::Overdue.style(),
                    )));
                    lines.push(reason.line(inner_w, *field == 2));
                }
                lines.push(Line::from(
                    "Up/Down choose · Tab next field · Enter record · Esc cancel",
                ));
            }
            Dialog::Pass {
                due_at,
                choice,
                reason,
                field,
                ..
            } => {
                title = " Pass the call to duty (Rec 39) ";
                let items = self
                    .duty_at_work(ctx.now)
                    .into_iter()
                    .map(|s| {
                        ListItem::new(format!(
                            "{} ({}) · {}",
                            inert(&s.display_name),
                            inert(&s.login),
                            s.role.label()
                        ))
                    })
                    .collect();
                list = Some((items, Some(*choice)));
                if is_late(ctx.now, *due_at) {
                    lines.push(Line::from(Span::styled(
                        format!(
                            "LATE: was due {}. Reason it is late (Rec 35):",
                            fmt_short(*due_at)
                        ),
                        Urgency::Overdue.style(),
                    )));
                    lines.push(reason.line(inner_w, *field == 1));
                }
                lines.push(Line::from(
                    "Up/Down choose who it went to · Enter record · Esc cancel",
                ));
            }
            Dialog::Close {
                choice,
                note,
                cancel,
                field,
                ..
            } => {
                title = " Close the referral (duty manager) ";
                let items = ClosureReason::ALL
                    .iter()
                    .map(|r| {
                        ListItem::new(clip(&format!("{} {}", r.code(), r.label()), inner_w - 2))
                    })
                    .collect();
                list = Some((items, *choice));
                if choice.is_none() {
                    lines.push(Line::from(
                        "Choose the closure reason with Up/Down (no default).".bold(),
                    ));
                }
                lines.push(Line::from("Note (optional):".bold()));
                lines.push(note.line(inner_w, *field == 1));
                lines.push(Line::from(
                    "Close open actions as not needed, reason (optional):".bold(),
                ));
                lines.push(cancel.line(inner_w, *field == 2));
                lines.push(Line::from(
                    "Up/Down reason · Tab next field · Enter close · Esc cancel",
                ));
            }
            Dialog::Checklist { choice, reason, .. } => {
                let check = self.closure.as_ref();
                title = " Closure checklist ";
                let required: &[ChecklistItem] = check.map_or(&[], |c| &c.required);
                let items = required
                    .iter()
                    .map(|&item| {
                        let (state, st) = item_state(check, item);
                        ListItem::new(vec![
                            Line::from(clip(item.label(), inner_w - 2)),
                            Line::from(Span::styled(
                                clip(&format!("    {state}"), inner_w - 2),
                                st,
                            )),
                        ])
                    })
                    .collect();
                list = Some((items, Some(*choice)));
                let rec = check.map_or("", |c| c.rec.as_str());
                match reason {
                    Some(r) => {
                        let label = required.get(*choice).map_or("", |i| i.label());
                        lines.push(Line::from(
                            format!("Why was this not done ({label})? A duty manager records it:")
                                .bold(),
                        ));
                        lines.push(r.line(inner_w, true));
                        lines.push(Line::from("Enter record · Esc back to the list"));
                    }
                    None => lines.push(Line::from(format!(
                        "{rec}: Up/Down choose · d done now · r reason not done · Esc close"
                    ))),
                }
            }
            Dialog::Outcome {
                choice,
                due_at,
                reason,
                field,
                ..
            } => {
                title = " Assessment outcome ";
                let items = AssessmentOutcome::ALL
                    .iter()
                    .map(|o| ListItem::new(format!("{:<16} {}", o.as_str(), o.label())))
                    .collect();
                list = Some((items, Some(*choice)));
                let ends = AssessmentOutcome::ALL.get(*choice)
                    != Some(&AssessmentOutcome::ServiceProvided);
                if let Some(d) = due_at.filter(|d| ends && is_late(ctx.now, *d)) {
                    lines.push(Line::from(Span::styled(
                        format!("LATE: the assessment was due {}. Reason:", fmt_short(d)),
                        Urgency::Overdue.style(),
                    )));
                    lines.push(reason.line(inner_w, *field == 1));
                }
                lines.push(Line::from("Up/Down choose · Enter record · Esc cancel"));
            }
        }
        if let Some(e) = dialog.error() {
            lines.push(Line::from(Span::styled(
                format!("! {}", inert(e)),
                Urgency::Overdue.style(),
            )));
        }
        if let Dialog::Close { missing, .. } = dialog {
            // The desk's list, one line each without the CLI hints; cut to
            // what fits beside at least three reasons.
            let room = (area.height as usize)
                .saturating_sub(2 + 3 + lines.len())
                .max(1);
            for (i, m) in missing.iter().enumerate() {
                if i + 1 == room && missing.len() > room {
                    lines.push(Line::from(format!(
                        "  … and {} more (x: checklist)",
                        missing.len() - i
                    )));
                    break;
                }
                let short = m.split(" (`").next().unwrap_or(m);
                lines.push(Line::from(Span::styled(
                    clip(&format!("  - {}", inert(short)), inner_w),
                    Urgency::Overdue.style(),
                )));
            }
        }
        let text_h: u16 = lines
            .iter()
            .map(|l| (l.width() as u16).div_ceil(inner_w.max(1) as u16).max(1))
            .sum();
        let list_len = list
            .as_ref()
            .map_or(0, |(l, _)| l.iter().map(|i| i.height() as u16).sum::<u16>());
        // A long list scrolls to keep the choice in view rather than pushing
        // the text off the screen.
        let list_h = list_len.min(area.height.saturating_sub(text_h + 2).max(list_len.min(3)));
        let height = list_h + text_h + 2;
        let rect = centered(area, width, height);
        f.render_widget(Clear, rect);
        let block = Block::bordered().title(title);
        let inner = block.inner(rect);
        f.render_widget(block, rect);
        let [list_area, text_area] =
            Layout::vertical([Constraint::Length(list_h), Constraint::Min(1)]).areas(inner);
        if let Some((items, sel)) = list {
            let mut st = ListState::default().with_selected(sel);
            f.render_stateful_widget(
                List::new(items)
                    .highlight_symbol("> ")
                    .highlight_style(Style::new().add_modifier(Modifier::REVERSED)),
                list_area,
                &mut st,
            );
        }
        f.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
            text_area,
        );
    }
}

/// `s` cut to `width` characters, with an ellipsis when cut.
fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// How one checklist item stands: done (by whom, when), not done (why), or
/// MISSING; with the style to show it in.
fn item_state(check: Option<&ClosureCheck>, item: ChecklistItem) -> (String, Style) {
    let Some(c) = check else {
        return ("not loaded".into(), Style::new());
    };
    let row = c.recorded.iter().find(|r| r.item == item);
    let missing = c
        .missing
        .iter()
        .any(|m| matches!(m, Missing::Item { item: i, .. } if *i == item));
    match row {
        Some(r) if r.done_at.is_some() => (
            format!(
                "done {} (recorded by {})",
                fmt_short(r.done_at.unwrap_or(r.recorded_at)),
                inert(&r.recorded_by)
            ),
            Style::new().add_modifier(Modifier::DIM),
        ),
        Some(r) if r.reason_not_done.is_some() => (
            format!(
                "not done: {} ({})",
                inert(r.reason_not_done.as_deref().unwrap_or("")),
                inert(&r.recorded_by)
            ),
            Style::new(),
        ),
        _ if missing => ("MISSING".into(), Urgency::Overdue.style()),
        // Child seen: settled by "seen alone".
        _ => (
            "settled by the child being seen alone".into(),
            Style::new().add_modifier(Modifier::DIM),
        ),
    }
}
