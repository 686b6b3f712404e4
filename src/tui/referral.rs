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

use super::casework::{self, CaseDialog, CaseKind};
use super::keymap::{screen_actions, Hint, ScreenAction};
use super::screen::{Ctx, Effect, Screen};
use super::widgets::{self, centered, clip, inert, inert_or, urgency, LineInput, Urgency, Viewer};
use crate::desk::handover::CoverReason;
use crate::desk::{Action, Staff, Team};
use crate::desk::{Client, ClosureCheck, Command, DeskError, ItemStatus, Outcome, ReferralDetail};
use crate::domain::allocation::duty_owner_problem;
use crate::domain::closure::{ChecklistItem, Missing};
use crate::domain::endings::{is_late, Ending};
use crate::domain::household::{MemberRole, PersonInput};
use crate::domain::permissions::{self, Access, Permission};
use crate::domain::time::{fmt_short, london_date};
use crate::domain::{ActionKind, AssessmentOutcome, ClosureReason, Decision, ReferralState, Role};

screen_actions! {
    /// What the referral screen's keys do (section `[referral]`).
    pub enum ReferralAction {
        Chronology = (
            "chronology",
            "chronology",
            "the child's chronology across all referrals (Rec 58)"
        ),
        SelectNext = ("select-next", "next action", "select the next action"),
        SelectPrev = ("select-prev", "previous action", "select the previous action"),
        Assign = ("assign", "assign", "assign or re-assign the selected action (Rec 54)"),
        AssignReferral = (
            "assign-referral",
            "assign all",
            "assign the whole referral: every open action of it to one person (Rec 53)"
        ),
        Allocate = (
            "allocate",
            "allocate",
            "allocate the case whole to a worker, seeing each one's caseload (Rec 52, 53)"
        ),
        Complete = (
            "complete",
            "complete",
            "complete the selected action with its outcome (late: reason, Rec 35)"
        ),
        Note = ("note", "note", "add a note to the chronology (Rec 58)"),
        Decide = ("decide", "decide", "record the decision on the referral"),
        Close = (
            "close",
            "close",
            "close the referral with a CIN reason RC1-RC9 (duty manager; Rec 26, Rec 40)"
        ),
        Checklist = (
            "checklist",
            "checklist",
            "the closure checklist: d done now, r reason not done (Rec 26, Rec 40)"
        ),
        Outcome = (
            "outcome",
            "outcome",
            "record the assessment outcome: no service, service needed or provided"
        ),
        ScreenReferral = (
            "screen",
            "screen",
            "screen the referral: RAG urgency and level of need, with why; red or amber brings the decision forward (issue 16; Rec 34 checks)"
        ),
        Consent = (
            "consent",
            "consent",
            "record consent to share: given, refused, or overridden because of risk (a duty manager, with the reason; Rec 34)"
        ),
        Escalate = (
            "escalate",
            "escalate",
            "escalate a referral in assessment to a strategy discussion and section 47 enquiry (duty manager, with why)"
        ),
        AcceptAllocation = (
            "accept-allocation",
            "accept case",
            "accept the case allocated to you: it is no longer NEW to you (Rec 53)"
        ),
        Authorise = (
            "authorise",
            "authorise",
            "authorise or return the proposal awaiting authorisation (duty manager; Rec 25)"
        ),
        Propose = (
            "propose",
            "propose",
            "propose an assessment outcome or no further action for a manager to authorise (Rec 25)"
        ),
        Transfer = (
            "transfer",
            "transfer",
            "transfer to another team, or accept, decline or withdraw the transfer waiting (Rec 42)"
        ),
        Oversight = (
            "oversight",
            "oversight",
            "record supervision or oversight: discussed, to happen, by when, action points (Rec 45)"
        ),
        ScrollDown = ("scroll-down", "scroll", "scroll the panel below down"),
        ScrollUp = ("scroll-up", "scroll back", "scroll the panel below up"),
        View = (
            "view",
            "read whole",
            "read the panel below whole: the concern, the referrer, earlier referrals, the chronology, the selected action"
        ),
        AddPerson = (
            "add-person",
            "add person",
            "add a person to the household: role, parental responsibility (issue 16)"
        ),
        NextPanel = (
            "next-panel",
            "next panel",
            "the panel below: the call (concern, referrer, siblings), earlier referrals, chronology, household, strategy discussions"
        ),
    }
}

pub fn actions() -> &'static [(&'static str, &'static str)] {
    ReferralAction::TABLE
}

/// The panel under the actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panel {
    /// What the call was about: concern, referrer, flags, siblings.
    #[default]
    Call,
    /// Earlier (and later) referrals of the same child.
    History,
    /// This referral's significant events (Rec 58).
    Chronology,
    /// Screening (RAG, level of need, by whom, when, why) and the agency
    /// checks with their responses (issue 16; Rec 34).
    Screening,
    /// The household: each person, role, parental responsibility, and their
    /// earlier involvement with why (issue 16).
    Household,
    /// Strategy discussions: when, how, who, decided, action points (Rec 51, 93).
    Strategy,
}

impl Panel {
    const ALL: [Panel; 6] = [
        Panel::Call,
        Panel::History,
        Panel::Chronology,
        Panel::Screening,
        Panel::Household,
        Panel::Strategy,
    ];
    fn next(self) -> Panel {
        let i = Panel::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Panel::ALL[(i + 1) % Panel::ALL.len()]
    }
}

// The limits the desk checks when the text is stored (one home: domain::validate).
use crate::domain::validate::{MAX_LINE, MAX_NAME, MAX_TEXT};

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Assign {
        action_id: i64,
        /// Index into the team's staff; `staff.len()` means nobody.
        choice: usize,
        error: Option<String>,
        /// Every open action of the referral (but passing the call to
        /// duty, the call-taker's), not only the selected one (Rec 53).
        whole: bool,
        /// The choice a warning was given for (absent, or not duty staff):
        /// Enter again on it assigns.
        warned: Option<usize>,
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
        /// Index into `Decision::ALL`; none until one is chosen: a decision
        /// is never recorded by a default.
        choice: Option<usize>,
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
    /// Screening: the RAG urgency and the level of need (each chosen from
    /// the settings' list, never preselected), and why (issue 16).
    Screen {
        /// Index into `Urgency::ALL`; none until one is chosen.
        urgency: Option<usize>,
        /// Index into the settings' levels of need; none until one is chosen.
        need: Option<usize>,
        reason: LineInput,
        /// 0: the urgency, 1: the level of need, 2: the reason.
        field: usize,
        error: Option<String>,
    },
    /// An agency's response to a check (Rec 34): nothing known, or what it
    /// shared and who gave it; late, the reason.
    Respond {
        action_id: i64,
        due_at: DateTime<Utc>,
        /// 0: nothing known, 1: information shared; none until chosen.
        choice: Option<usize>,
        shared: LineInput,
        given_by: LineInput,
        reason: LineInput,
        /// 0: the choice, 1: what was shared, 2: who gave it, 3: late reason.
        field: usize,
        error: Option<String>,
    },
    /// A person of the household (issue 16): role, name, date of birth,
    /// address, parental responsibility (a parent or carer), and, when the
    /// desk says they may be on file already, which record they are.
    AddPerson {
        /// Index into `MemberRole::ALL`; none until one is chosen.
        role: Option<usize>,
        name: LineInput,
        dob: LineInput,
        address: LineInput,
        /// 0: unknown, 1: yes, 2: no.
        pr: usize,
        /// The person's (or a sibling's, the child's) id on file, or "new".
        link: LineInput,
        /// 0: role, 1: name, 2: dob, 3: address, 4: parental responsibility, 5: link.
        field: usize,
        error: Option<String>,
    },
    /// Consent to share (Rec 34): given, refused, or overridden because of
    /// risk (a duty manager's, with the reason).
    Consent {
        /// Index into `ConsentStatus::ALL`; none until one is chosen.
        choice: Option<usize>,
        reason: LineInput,
        /// 0: the list, 1: the reason.
        field: usize,
        error: Option<String>,
    },
    /// Escalate to a strategy discussion and section 47 enquiry, with why.
    Escalate {
        reason: LineInput,
        error: Option<String>,
    },
    /// The assessment outcome.
    Outcome {
        /// Index into `AssessmentOutcome::ALL`; none until one is chosen.
        choice: Option<usize>,
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
            | Dialog::Screen { error, .. }
            | Dialog::Respond { error, .. }
            | Dialog::AddPerson { error, .. }
            | Dialog::Consent { error, .. }
            | Dialog::Escalate { error, .. }
            | Dialog::Outcome { error, .. } => *error = Some(msg),
            Dialog::Close { error, missing, .. } => {
                *error = Some(msg);
                missing.clear();
            }
        }
    }

    /// The text field that has the keys, if any (for a paste).
    fn focused_field(&mut self, now: DateTime<Utc>) -> Option<&mut LineInput> {
        match self {
            Dialog::Complete {
                outcome,
                reason,
                field,
                due_at,
                ..
            } => Some(if *field == 1 && is_late(now, *due_at) {
                reason
            } else {
                outcome
            }),
            Dialog::Note { text, .. } => Some(text),
            Dialog::Decide { note, field: 1, .. } => Some(note),
            Dialog::Decide {
                reason, field: 2, ..
            }
            | Dialog::Outcome {
                reason, field: 1, ..
            }
            | Dialog::Pass {
                reason, field: 1, ..
            } => Some(reason),
            Dialog::Close {
                note,
                cancel,
                field,
                ..
            } => match field {
                1 => Some(note),
                2 => Some(cancel),
                _ => None,
            },
            Dialog::Checklist { reason, .. } => reason.as_mut(),
            Dialog::Screen {
                reason, field: 2, ..
            } => Some(reason),
            Dialog::Respond {
                shared, field: 1, ..
            } => Some(shared),
            Dialog::Respond {
                given_by, field: 2, ..
            } => Some(given_by),
            Dialog::Respond {
                reason, field: 3, ..
            } => Some(reason),
            Dialog::AddPerson {
                name,
                dob,
                address,
                link,
                field,
                ..
            } => match field {
                1 => Some(name),
                2 => Some(dob),
                3 => Some(address),
                5 => Some(link),
                _ => None,
            },
            Dialog::Consent {
                reason, field: 1, ..
            }
            | Dialog::Escalate { reason, .. } => Some(reason),
            _ => None,
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
            | Dialog::Screen { error, .. }
            | Dialog::Respond { error, .. }
            | Dialog::AddPerson { error, .. }
            | Dialog::Consent { error, .. }
            | Dialog::Escalate { error, .. }
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
    /// The panel under the actions, and how far it is scrolled.
    pub panel: Panel,
    pub panel_scroll: usize,
    /// Long text being read whole.
    pub viewer: Option<Viewer>,
    /// While assigning: who would leave the action needing cover, by the
    /// handover's rule (absent or off shift when due), and whether to ask.
    cover: Vec<(String, CoverReason)>,
    cover_wanted: bool,
    /// Answers still to come for "assign the whole referral", and what the
    /// ones so far said: (assigned, to whom, refusals).
    assigning: usize,
    assigned: (usize, Option<String>, Vec<String>),
    /// A dialog on the case (issue 17): accept, authorise, propose,
    /// transfer, oversight.
    pub case: Option<CaseDialog>,
    /// Every team, for a transfer.
    pub teams: Vec<Team>,
    /// The continuum of need and what each urgency does, from the
    /// database's settings (the screen dialog's lists).
    pub need_levels: Vec<crate::domain::screening::NeedLevel>,
    pub urgency_meanings: Vec<(crate::domain::screening::Urgency, String)>,
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

    /// Scrolls the panel (`by` lines; negative: back towards the top, or
    /// in the chronology towards older entries).
    fn scroll(&mut self, by: i64) {
        if self.panel == Panel::Chronology {
            self.chron_back = (self.chron_back as i64 - by).max(0) as usize;
        } else {
            self.panel_scroll = (self.panel_scroll as i64 + by).max(0) as usize;
        }
    }

    /// The action an open assign dialog is for (the whole referral: its
    /// open action due first after passing to duty).
    fn cover_for(&self) -> Option<i64> {
        match &self.dialog {
            Some(Dialog::Assign {
                whole: false,
                action_id,
                ..
            }) => Some(*action_id),
            Some(Dialog::Assign { whole: true, .. }) => self
                .detail
                .as_ref()?
                .actions
                .iter()
                .filter(|a| a.is_open() && a.kind != ActionKind::PassToDuty)
                .min_by_key(|a| a.due_at)
                .map(|a| a.id),
            _ => None,
        }
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
            "assign-referral" => {
                if !d
                    .actions
                    .iter()
                    .any(|a| a.is_open() && a.kind != ActionKind::PassToDuty)
                {
                    return vec![Effect::Status(
                        "this referral has no open action to assign".into(),
                    )];
                }
                self.dialog = Some(Dialog::Assign {
                    action_id: 0,
                    choice: 0,
                    error: None,
                    whole: true,
                    warned: None,
                });
                self.cover_wanted = true;
            }
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
                        whole: false,
                        warned: None,
                    });
                    self.cover_wanted = true;
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
                        Ending::CheckResponse => {
                            self.dialog = Some(Dialog::Respond {
                                action_id: a.id,
                                due_at: a.due_at,
                                choice: None,
                                shared: LineInput::new(MAX_TEXT),
                                given_by: LineInput::new(MAX_LINE),
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
            "screen" => {
                if d.referral.state == ReferralState::Closed {
                    return vec![Effect::Status("this referral is closed".into())];
                }
                if ctx.me.is_some_and(|m| {
                    permissions::access(m.role, Permission::ScreenReferral) == Access::No
                }) {
                    return vec![Effect::Status(format!(
                        "{} needs {}",
                        Permission::ScreenReferral.what(),
                        permissions::who_may(Permission::ScreenReferral)
                    ))];
                }
                if self.need_levels.is_empty() {
                    return vec![Effect::Status(
                        "the levels of need could not be read from the desk's settings".into(),
                    )];
                }
                self.dialog = Some(Dialog::Screen {
                    urgency: None,
                    need: None,
                    reason: LineInput::new(MAX_TEXT),
                    field: 0,
                    error: None,
                });
            }
            "add-person" => {
                self.dialog = Some(Dialog::AddPerson {
                    role: None,
                    name: LineInput::new(MAX_NAME),
                    dob: LineInput::new(10),
                    address: LineInput::new(MAX_LINE),
                    pr: 0,
                    link: LineInput::new(20),
                    field: 0,
                    error: None,
                })
            }
            // Who may record these is the desk's to say (a duty manager
            // overrides consent and escalates): its refusal shows here.
            "consent" => {
                if d.referral.state == ReferralState::Closed {
                    return vec![Effect::Status("this referral is closed".into())];
                }
                self.dialog = Some(Dialog::Consent {
                    choice: None,
                    reason: LineInput::new(MAX_TEXT),
                    field: 0,
                    error: None,
                });
            }
            "escalate" => {
                if d.referral.state != ReferralState::Assessment {
                    return vec![Effect::Status(format!(
                        "only a referral in assessment escalates to section 47; this one is {}",
                        d.referral.state.label()
                    ))];
                }
                self.dialog = Some(Dialog::Escalate {
                    reason: LineInput::new(MAX_TEXT),
                    error: None,
                });
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
                    choice: None,
                    note: LineInput::new(MAX_TEXT),
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
                if !AssessmentOutcome::ALL
                    .iter()
                    .any(|o| d.referral.state.can_record_outcome(*o))
                {
                    return vec![Effect::Status(format!(
                        "no assessment outcome can be recorded: the referral is {}",
                        d.referral.state.label()
                    ))];
                }
                self.dialog = Some(Dialog::Outcome {
                    choice: None,
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
                action_id,
                choice,
                whole,
                warned,
                error,
            } => {
                match key.code {
                    KeyCode::Down | KeyCode::Char('j') => *choice = (*choice + 1).min(staff_len),
                    KeyCode::Up | KeyCode::Char('k') => *choice = choice.saturating_sub(1),
                    KeyCode::Char('w') | KeyCode::Tab => *whole = !*whole,
                    _ => {}
                }
                if *warned != Some(*choice) {
                    *warned = None;
                }
                if !submit {
                    return Vec::new();
                }
                let owner = self.staff.get(*choice);
                // Someone who cannot work it now: say so; Enter again assigns.
                if let Some(p) = owner {
                    let due = self
                        .detail
                        .as_ref()
                        .and_then(|d| d.actions.iter().find(|a| a.id == *action_id))
                        .map(|a| a.due_at);
                    let cover = self
                        .cover
                        .iter()
                        .find(|(l, _)| *l == p.login)
                        .map(|(_, why)| *why);
                    if let Some(why) = owner_warning(p, ctx.now, due, cover) {
                        if *warned != Some(*choice) {
                            *warned = Some(*choice);
                            *error = Some(format!(
                                "{} {why}: the work would wait for them. Enter again to \
                                 assign anyway, or choose someone at work",
                                inert(&p.display_name)
                            ));
                            return Vec::new();
                        }
                    }
                }
                let owner = owner.map(|s| s.login.clone());
                if *whole {
                    let ids: Vec<i64> = self
                        .detail
                        .as_ref()
                        .map(|d| {
                            d.actions
                                .iter()
                                .filter(|a| a.is_open() && a.kind != ActionKind::PassToDuty)
                                .map(|a| a.id)
                                .collect()
                        })
                        .unwrap_or_default();
                    self.waiting = true;
                    self.assigning = ids.len();
                    return ids
                        .into_iter()
                        .map(|id| {
                            Effect::Execute(Command::AssignAction {
                                action_id: id,
                                owner: owner.clone(),
                            })
                        })
                        .collect();
                }
                Command::AssignAction {
                    action_id: *action_id,
                    owner,
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
            Dialog::Screen {
                urgency,
                need,
                reason,
                field,
                error,
            } => {
                use crate::domain::screening::Urgency as Rag;
                let n = Rag::ALL.len();
                let levels = self.need_levels.len();
                match key.code {
                    KeyCode::Tab => {
                        *field = (*field + 1) % 3;
                        return Vec::new();
                    }
                    KeyCode::BackTab => {
                        *field = (*field + 2) % 3;
                        return Vec::new();
                    }
                    KeyCode::Down if *field == 0 => *urgency = widgets::choice_down(*urgency, n),
                    KeyCode::Up if *field == 0 => *urgency = widgets::choice_up(*urgency),
                    KeyCode::Down if *field == 1 && levels > 0 => {
                        *need = widgets::choice_down(*need, levels)
                    }
                    KeyCode::Up if *field == 1 && levels > 0 => *need = widgets::choice_up(*need),
                    KeyCode::Enter => {}
                    _ if *field == 2 => {
                        reason.handle(&key);
                    }
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                let Some(u) = *urgency else {
                    *error = Some(
                        "choose red, amber or green with Up/Down first: nothing is chosen for you"
                            .into(),
                    );
                    *field = 0;
                    return Vec::new();
                };
                let Some(level) = need.and_then(|i| self.need_levels.get(i)) else {
                    *error = Some(
                        "choose the level of need with Up/Down: nothing is chosen for you".into(),
                    );
                    *field = 1;
                    return Vec::new();
                };
                let level = level.level.to_string();
                let Some(why) = reason.trimmed() else {
                    *error = Some("give the reason for the rating".into());
                    *field = 2;
                    return Vec::new();
                };
                Command::ScreenReferral {
                    referral_id,
                    urgency: Rag::ALL[u.min(n - 1)],
                    need: level,
                    reason: why,
                }
            }
            Dialog::Respond {
                action_id,
                due_at,
                choice,
                shared,
                given_by,
                reason,
                field,
                error,
            } => {
                use crate::domain::screening::CheckResponse;
                let late = is_late(ctx.now, *due_at);
                let fields = if late { 4 } else { 3 };
                match key.code {
                    KeyCode::Tab => {
                        *field = (*field + 1) % fields;
                        return Vec::new();
                    }
                    KeyCode::BackTab => {
                        *field = (*field + fields - 1) % fields;
                        return Vec::new();
                    }
                    KeyCode::Down if *field == 0 => *choice = Some(1),
                    KeyCode::Up if *field == 0 => *choice = Some(0),
                    KeyCode::Enter => {}
                    _ if *field == 1 => {
                        shared.handle(&key);
                    }
                    _ if *field == 2 => {
                        given_by.handle(&key);
                    }
                    _ if *field == 3 => {
                        reason.handle(&key);
                    }
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                let response = match *choice {
                    None => {
                        *error = Some(
                            "choose nothing known or information shared with Up/Down first".into(),
                        );
                        *field = 0;
                        return Vec::new();
                    }
                    Some(0) => CheckResponse::NothingKnown {
                        given_by: given_by.trimmed(),
                    },
                    Some(_) => {
                        let Some(text) = shared.trimmed() else {
                            *error = Some("write what the agency shared".into());
                            *field = 1;
                            return Vec::new();
                        };
                        let Some(who) = given_by.trimmed() else {
                            *error = Some("say who gave it (name and role)".into());
                            *field = 2;
                            return Vec::new();
                        };
                        CheckResponse::Shared {
                            text,
                            given_by: who,
                        }
                    }
                };
                if late && reason.trimmed().is_none() {
                    *error = Some(format!(
                        "the check was due {}: give the reason it is late (Rec 35)",
                        fmt_short(*due_at)
                    ));
                    *field = 3;
                    return Vec::new();
                }
                Command::RespondToCheck {
                    action_id: *action_id,
                    response,
                    at: None,
                    late_reason: if late { reason.trimmed() } else { None },
                }
            }
            Dialog::AddPerson {
                role,
                name,
                dob,
                address,
                pr,
                link,
                field,
                error,
            } => {
                let n = MemberRole::ALL.len();
                let parent = role.map(|r| MemberRole::ALL[r]) == Some(MemberRole::ParentCarer);
                // The fields in order; parental responsibility only for a parent or carer.
                let order: &[usize] = if parent {
                    &[0, 1, 2, 3, 4, 5]
                } else {
                    &[0, 1, 2, 3, 5]
                };
                let pos = order.iter().position(|f| f == field).unwrap_or(0);
                match key.code {
                    KeyCode::Tab => {
                        *field = order[(pos + 1) % order.len()];
                        return Vec::new();
                    }
                    KeyCode::BackTab => {
                        *field = order[(pos + order.len() - 1) % order.len()];
                        return Vec::new();
                    }
                    KeyCode::Down if *field == 0 => *role = widgets::choice_down(*role, n),
                    KeyCode::Up if *field == 0 => *role = widgets::choice_up(*role),
                    KeyCode::Down if *field == 4 => *pr = (*pr + 1).min(2),
                    KeyCode::Up if *field == 4 => *pr = pr.saturating_sub(1),
                    KeyCode::Enter => {}
                    _ => {
                        match field {
                            1 => name.handle(&key),
                            2 => dob.handle(&key),
                            3 => address.handle(&key),
                            5 => link.handle(&key),
                            _ => false,
                        };
                    }
                }
                if !submit {
                    return Vec::new();
                }
                let Some(r) = *role else {
                    *error = Some("choose the person's role with Up/Down first".into());
                    *field = 0;
                    return Vec::new();
                };
                let Some(nm) = name.trimmed() else {
                    *error = Some("the person's name is required".into());
                    *field = 1;
                    return Vec::new();
                };
                let (link_id, new) = match link.trimmed().as_deref() {
                    None => (None, false),
                    Some(t) if t.eq_ignore_ascii_case("new") => (None, true),
                    Some(t) => match t.parse::<i64>() {
                        Ok(id) => (Some(id), false),
                        Err(_) => {
                            *error = Some(
                                "on file as: an id from the message, \"new\", or blank".into(),
                            );
                            *field = 5;
                            return Vec::new();
                        }
                    },
                };
                let role = MemberRole::ALL[r.min(n - 1)];
                Command::AddHouseholdMember {
                    referral_id,
                    person: PersonInput {
                        name: nm,
                        role: Some(role),
                        dob: dob.trimmed(),
                        address: address.trimmed(),
                        pr: (role == MemberRole::ParentCarer)
                            .then(|| ["unknown", "yes", "no"][(*pr).min(2)].to_string()),
                    },
                    link: link_id,
                    new,
                }
            }
            Dialog::Consent {
                choice,
                reason,
                field,
                error,
            } => {
                use crate::domain::screening::ConsentStatus;
                let n = ConsentStatus::ALL.len();
                match key.code {
                    KeyCode::Tab | KeyCode::BackTab => {
                        *field = 1 - *field;
                        return Vec::new();
                    }
                    KeyCode::Down if *field == 0 => *choice = widgets::choice_down(*choice, n),
                    KeyCode::Up if *field == 0 => *choice = widgets::choice_up(*choice),
                    KeyCode::Enter => {}
                    // Typing on the list goes to the reason.
                    KeyCode::Char(_) if *field == 0 => {
                        *field = 1;
                        reason.handle(&key);
                    }
                    _ if *field == 1 => {
                        reason.handle(&key);
                    }
                    _ => {}
                }
                if !submit {
                    return Vec::new();
                }
                let Some(c) = *choice else {
                    *error = Some(
                        "choose given, refused or overridden with Up/Down: nothing is chosen for you"
                            .into(),
                    );
                    *field = 0;
                    return Vec::new();
                };
                // Whether a reason is needed, and who may override, is the
                // desk's rule (domain::screening::check_consent, the
                // permission table): its refusal comes back into the dialog.
                let status = ConsentStatus::ALL[c.min(n - 1)];
                Command::RecordConsent {
                    referral_id,
                    status,
                    reason: reason.trimmed(),
                }
            }
            Dialog::Escalate { reason, error } => {
                if !submit {
                    reason.handle(&key);
                    return Vec::new();
                }
                let Some(why) = reason.trimmed() else {
                    *error = Some("write why it escalates".into());
                    return Vec::new();
                };
                Command::EscalateToSection47 {
                    referral_id,
                    reason: why,
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
                    KeyCode::Down if *field == 0 => *choice = widgets::choice_down(*choice, n),
                    KeyCode::Up if *field == 0 => *choice = widgets::choice_up(*choice),
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
                let Some(c) = *choice else {
                    *error = Some(
                        "choose the decision with Up/Down first: nothing is recorded by default"
                            .into(),
                    );
                    *field = 0;
                    return Vec::new();
                };
                let decision = Decision::ALL[c.min(n - 1)];
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
                    KeyCode::Down if *field == 0 => *choice = widgets::choice_down(*choice, n),
                    KeyCode::Up if *field == 0 => *choice = widgets::choice_up(*choice),
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
                let picked = choice.map(|c| AssessmentOutcome::ALL[c.min(n - 1)]);
                let late = picked.is_some_and(|p| p != AssessmentOutcome::ServiceProvided)
                    && due_at.is_some_and(|d| is_late(ctx.now, d));
                match key.code {
                    KeyCode::Tab | KeyCode::BackTab if late => {
                        *field = 1 - *field;
                        return Vec::new();
                    }
                    KeyCode::Down | KeyCode::Char('j') if *field == 0 => {
                        *choice = widgets::choice_down(*choice, n)
                    }
                    KeyCode::Up | KeyCode::Char('k') if *field == 0 => {
                        *choice = widgets::choice_up(*choice)
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
                let Some(picked) = picked else {
                    *error = Some(
                        "choose the outcome with Up/Down first: nothing is recorded by default"
                            .into(),
                    );
                    return Vec::new();
                };
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

    /// The head of the screen: the child, the referral, its flags, and the
    /// case (allocated, awaiting authorisation, in transfer, last overseen),
    /// each statement whole at any width.
    fn header(&self, d: &ReferralDetail, now: DateTime<Utc>, width: u16) -> Vec<Line<'static>> {
        let mut v = self.child_lines(d, now);
        v.extend(casework::case_lines(
            casework::case_spans(d, &self.staff, now),
            width as usize,
        ));
        v
    }

    fn header_rows(&self, d: &ReferralDetail, now: DateTime<Utc>, width: u16) -> u16 {
        casework::rows_of(&self.header(d, now, width), width)
    }

    /// Opens a dialog on the case, or says why there is nothing to act on.
    fn open_case(&mut self, kind: CaseKind, ctx: &Ctx) -> Vec<Effect> {
        let Some(d) = &self.detail else {
            return Vec::new();
        };
        let opening = casework::Opening {
            detail: d,
            me: ctx.me,
            teams: &self.teams,
            decision_due: self.open_due(Ending::Decision),
            assessment_due: self.open_due(Ending::AssessmentOutcome),
            now: ctx.now,
        };
        match casework::open(kind, &opening) {
            Ok(dlg) => {
                self.case = Some(dlg);
                Vec::new()
            }
            Err(why) => vec![Effect::Status(why)],
        }
    }

    /// A key while a case dialog is open: Esc cancels; Enter sends.
    fn case_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Vec<Effect> {
        if key.code == KeyCode::Esc {
            self.case = None;
            self.waiting = false;
            return vec![Effect::Status("cancelled: nothing changed".into())];
        }
        if self.waiting {
            return Vec::new();
        }
        let id = self.id;
        match self.case.as_mut().and_then(|c| c.key(key, id, ctx.now)) {
            Some(cmd) => {
                self.waiting = true;
                vec![Effect::Execute(cmd)]
            }
            None => Vec::new(),
        }
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
            Line::from(vec![
                Span::raw(format!(
                    " referral {} · received {} · {} · ",
                    r.id,
                    fmt_short(r.received_at),
                    inert(&r.team)
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

    /// What the call was about, as paragraphs (the panel wraps them; the
    /// viewer shows them whole): the concern, the flags, the referrer, how
    /// it was passed to duty, and the other children on the same call.
    /// The case as the desk holds it (issue 17): to whom it is allocated,
    /// a proposal awaiting authorisation, a transfer waiting, the last
    /// oversight.
    fn case_lines(d: &ReferralDetail) -> Vec<String> {
        let mut out = Vec::new();
        out.push(match &d.allocation {
            Some(a) => format!(
                "Case: allocated to {} by {} on {} · expected by {}, review {}{}",
                inert_or(a.worker_name.as_deref(), &inert(&a.worker)),
                inert(&a.allocated_by),
                london_date(a.allocated_at).format("%d/%m/%Y"),
                a.by.format("%d/%m/%Y"),
                a.review.format("%d/%m/%Y"),
                if a.is_new() {
                    " · not yet accepted"
                } else {
                    ""
                }
            ),
            None => "Case: not allocated to a worker".into(),
        });
        if let Some(p) = d.awaiting_authorisation() {
            out.push(format!(
                "Awaiting authorisation: {} proposed by {} on {} (Rec 25)",
                p.kind.label(),
                inert(&p.proposed_by),
                london_date(p.proposed_at).format("%d/%m/%Y")
            ));
        }
        if let Some(t) = &d.transfer {
            out.push(format!(
                "In transfer to {} (asked by {} on {}), waiting to be accepted (Rec 42)",
                inert(&t.to_team),
                inert(&t.requested_by),
                london_date(t.requested_at).format("%d/%m/%Y")
            ));
        }
        if let Some(a) = &d.allocation {
            out.push(format!("  expected: {}", inert(&a.expected)));
        }
        out.push(
            match d.oversight.iter().max_by_key(|o| (o.recorded_at, o.id)) {
                Some(o) => format!(
                    "Last overseen: {} by {} ({}) (Rec 45)",
                    fmt_short(o.recorded_at),
                    inert(&o.recorded_by),
                    o.kind.as_str()
                ),
                None => "Last overseen: never (Rec 45)".into(),
            },
        );
        out
    }

    fn call_text(&self, d: &ReferralDetail) -> Vec<String> {
        let mut out = Vec::new();
        let r = &d.referral;
        let Some(c) = &d.call else {
            out.push("The call is not on file.".into());
            return out;
        };
        let concern = c.concern.as_deref().unwrap_or("").trim();
        if concern.is_empty() {
            out.push("Concern: not recorded".into());
        } else {
            let mut first = true;
            for l in concern.split('\n') {
                out.push(if first {
                    format!("Concern: {}", inert(l))
                } else {
                    format!("  {}", inert(l))
                });
                first = false;
            }
        }
        let mut flags = Vec::new();
        if r.deliberate_harm {
            flags.push("deliberate harm alleged: the child seen within 24 hours (Rec 35)");
        }
        if r.possible_crime {
            flags.push("may be a criminal offence: police informed (Rec 98)");
        }
        out.push(if flags.is_empty() {
            "Flags: no deliberate harm alleged, no crime suspected".into()
        } else {
            format!("FLAGS: {}", flags.join("; "))
        });
        let rf = &c.referrer;
        let mut who = inert_or(rf.name.as_deref(), "name not given");
        if let Some(rel) = rf.relationship.as_deref().filter(|s| !s.trim().is_empty()) {
            who.push_str(&format!(" ({})", inert(rel)));
        }
        out.push(format!(
            "Referrer: {who} · source {} {}",
            r.source.code(),
            r.source.label()
        ));
        let contact: Vec<String> = [
            rf.phone.as_deref().map(|p| format!("phone {}", inert(p))),
            rf.email.as_deref().map(|e| format!("email {}", inert(e))),
            rf.address
                .as_deref()
                .map(|a| format!("address {}", inert(a))),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.ends_with(' '))
        .collect();
        out.push(if contact.is_empty() {
            "  contact: none recorded".into()
        } else {
            format!("  contact: {}", contact.join(" · "))
        });
        out.push(format!(
            "Call taken by {} at {}; {}",
            inert(&c.taken_by),
            fmt_short(c.started_at),
            match (&c.passed_verbally_to, c.passed_verbally_at) {
                (Some(to), Some(at)) =>
                    format!("passed verbally to {} at {}", inert(to), fmt_short(at)),
                _ => "not yet passed to duty verbally".into(),
            }
        ));
        if d.siblings.is_empty() {
            out.push("No other child on this call.".into());
        } else {
            out.push(format!(
                "Other children on this call ({}):",
                d.siblings.len()
            ));
            for sib in &d.siblings {
                out.push(format!(
                    "  {} · referral {} · {}",
                    inert_or(sib.child.as_deref(), "(name not known)"),
                    sib.id,
                    sib.state.label()
                ));
            }
        }
        out
    }

    /// The child's other referrals: earlier ones oldest first, then any
    /// made since this one.
    fn history_text(&self, d: &ReferralDetail) -> Vec<String> {
        let this = d.referral.received_at;
        let line = |p: &crate::desk::Referral| {
            let closure = p
                .closure_reason
                .map(|c| format!(", closed {} {}", c.code(), c.label()))
                .unwrap_or_default();
            let note = p
                .decision_note
                .as_deref()
                .map(|n| format!(" ({})", inert(n)))
                .unwrap_or_default();
            format!(
                "  {}  referral {}  {} · {}{note}{closure}",
                crate::domain::time::to_london(p.received_at).format("%d/%m/%Y"),
                p.id,
                p.source.label(),
                p.state.label(),
            )
        };
        let earlier: Vec<_> = d
            .previous
            .iter()
            .filter(|p| (p.received_at, p.id) < (this, d.referral.id))
            .collect();
        let later: Vec<_> = d
            .previous
            .iter()
            .filter(|p| (p.received_at, p.id) > (this, d.referral.id))
            .collect();
        let mut out = vec![if earlier.is_empty() {
            "No earlier referral of this child.".to_string()
        } else {
            format!(
                "Earlier referrals of this child: {} (oldest first; the start-again check)",
                earlier.len()
            )
        }];
        out.extend(earlier.into_iter().map(line));
        if !later.is_empty() {
            out.push(format!("Referred again since this one: {}", later.len()));
            out.extend(later.into_iter().map(line));
        }
        out
    }

    /// The significant events of this referral, oldest first (Rec 58).
    fn chronology_text(&self, d: &ReferralDetail) -> Vec<String> {
        let v: Vec<String> = d
            .events
            .iter()
            .filter(|e| e.significant)
            .map(|e| {
                format!(
                    "{} {}: {}",
                    fmt_short(e.at),
                    inert(&e.acting_login),
                    inert(&e.summary)
                )
            })
            .collect();
        if v.is_empty() {
            vec!["No significant events recorded on this referral yet.".into()]
        } else {
            v
        }
    }

    /// The selected action, all of it.
    fn action_text(&self, a: &Action, now: DateTime<Utc>) -> Vec<String> {
        let mut out = vec![format!(
            "Action: {} · owner {} · due {} ({})",
            a.kind.label(),
            inert_or(a.owner.as_deref(), "UNALLOCATED"),
            fmt_short(a.due_at),
            widgets::countdown_text(a.due_at, now)
        )];
        if let Some(done) = a.done_at {
            out.push(format!(
                "  ended {} by {}",
                fmt_short(done),
                inert_or(a.done_by.as_deref(), "?")
            ));
        }
        if let Some(o) = a.outcome.as_deref() {
            out.push(format!("  outcome: {}", inert(o)));
        }
        if let Some(l) = a.late_reason.as_deref() {
            out.push(format!("  LATE, the reason recorded: {}", inert(l)));
        }
        out
    }

    /// The panel's paragraphs.
    fn panel_text(&self, d: &ReferralDetail, panel: Panel) -> Vec<String> {
        match panel {
            Panel::Call => {
                let mut v = self.call_text(d);
                v.extend(Self::case_lines(d));
                v
            }
            Panel::History => self.history_text(d),
            Panel::Chronology => self.chronology_text(d),
            Panel::Screening => screening_text(d),
            Panel::Household => household_text(d),
            Panel::Strategy => strategy_text(d),
        }
    }

    fn panel_title(&self, d: &ReferralDetail, ctx: &Ctx, width: u16) -> Line<'static> {
        let earlier = d
            .previous
            .iter()
            .filter(|p| p.received_at < d.referral.received_at)
            .count();
        let chron = d.events.iter().filter(|e| e.significant).count();
        let names = [
            (Panel::Call, "The call".to_string()),
            (Panel::History, format!("Earlier referrals ({earlier})")),
            (Panel::Chronology, format!("Chronology ({chron})")),
            (
                Panel::Screening,
                match d.referral.urgency {
                    Some(u) => format!("Screening {}", u.as_str().to_uppercase()),
                    None => "Screening".to_string(),
                },
            ),
            (
                Panel::Household,
                format!(
                    "Household ({})",
                    d.household
                        .iter()
                        .filter(|h| !h.member.is_removed())
                        .count()
                ),
            ),
            (Panel::Strategy, format!("Strategy ({})", d.strategy.len())),
        ];
        let hint = format!(
            "· {} panel · {} read whole ",
            ctx.key("referral", ReferralAction::NextPanel),
            ctx.key("referral", ReferralAction::View)
        );
        let fits = |names: &[(Panel, String)]| {
            names
                .iter()
                .map(|(_, n)| widgets::cells(n) + 1)
                .sum::<usize>()
                + 3
                + widgets::cells(&hint)
                <= usize::from(width.saturating_sub(2))
        };
        // Narrower: "Earlier (1)" for "Earlier referrals (1)".
        let full_names = names.clone();
        let names: Vec<(Panel, String)> = if fits(&names) {
            names.to_vec()
        } else {
            names
                .iter()
                .map(|(p, n)| (*p, n.replace("Earlier referrals", "Earlier")))
                .collect()
        };
        if !fits(&names) {
            // Narrow: the panel shown, where it is among them, the keys.
            let i = Panel::ALL
                .iter()
                .position(|p| *p == self.panel)
                .unwrap_or(0);
            let n = full_names
                .iter()
                .find(|(p, _)| *p == self.panel)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            return Line::from(vec![
                Span::raw(" "),
                Span::styled(format!("[{n}]"), Style::new().bold().reversed()),
                Span::raw(format!(" {}/{} {hint}", i + 1, Panel::ALL.len())),
            ]);
        }
        let mut spans = vec![Span::raw(" ")];
        for (p, n) in names {
            if p == self.panel {
                spans.push(Span::styled(
                    format!("[{n}]"),
                    Style::new().bold().reversed(),
                ));
            } else {
                spans.push(Span::raw(n));
            }
            spans.push(Span::raw(" "));
        }
        spans.push(Span::raw(hint));
        Line::from(spans)
    }

    /// Opens the viewer on the panel, with the selected action first.
    fn open_viewer(&mut self, now: DateTime<Utc>) {
        let Some(d) = &self.detail else {
            return;
        };
        let mut text = Vec::new();
        if let Some(a) = self.selected_action() {
            text.extend(self.action_text(a, now));
            text.push(String::new());
        }
        text.extend(self.panel_text(d, self.panel));
        let title = match self.panel {
            Panel::Call => "The call",
            Panel::History => "Earlier referrals",
            Panel::Chronology => "Chronology (Rec 58)",
            Panel::Screening => "Screening and agency checks (Rec 34)",
            Panel::Household => "Household",
            Panel::Strategy => "Strategy discussions (Rec 51, 93)",
        };
        self.viewer = Some(Viewer::new(
            format!(
                "{title}: referral {} · {}",
                d.referral.id,
                inert_or(d.child.name.as_deref(), "(name not known)")
            ),
            &text.join("\n"),
        ));
    }
}

/// The household panel: each person, role, parental responsibility, and
/// what is known of them from other referrals, with why (issue 16).
fn household_text(d: &ReferralDetail) -> Vec<String> {
    let mut out = Vec::new();
    if d.household.is_empty() {
        out.push("No household recorded yet (p: add a person).".to_string());
    }
    for e in &d.household {
        let m = &e.member;
        let mut line = format!("{} · {}", inert(&m.name), m.role.label());
        if let Some(p) = m.parental_responsibility {
            line.push_str(&format!(" · PR {}", p.as_str()));
        }
        if let Some(dob) = m.dob {
            line.push_str(&format!(" · dob {}", dob.format("%d/%m/%Y")));
        }
        if let Some(a) = m.address.as_deref() {
            line.push_str(&format!(" · {}", inert(a)));
        }
        if let Some(t) = m.removed_at {
            line.push_str(&format!(
                " · REMOVED {}: {}",
                fmt_short(t),
                inert(m.removed_reason.as_deref().unwrap_or(""))
            ));
        }
        out.push(line);
        if m.child_id.is_some() && !e.referrals.is_empty() {
            out.push(format!(
                "  a child on file: {} referral(s) of their own",
                e.referrals.len()
            ));
        }
        for i in &e.earlier {
            out.push(format!(
                "  known {} on referral {} ({}, {}): {}",
                i.involvement,
                i.referral_id,
                crate::domain::time::to_london(i.received_at).format("%d/%m/%Y"),
                inert_or(i.child.as_deref(), "child's name not known"),
                inert(&i.why)
            ));
        }
    }
    for i in &d.named_as_sibling {
        out.push(format!(
            "This child is named as a sibling on referral {} ({}).",
            i.referral_id,
            inert_or(i.child.as_deref(), "name not known")
        ));
    }
    out
}

/// The strategy discussions panel: when, how, who, decided, action points.
fn strategy_text(d: &ReferralDetail) -> Vec<String> {
    let mut out = Vec::new();
    if d.strategy.is_empty() {
        out.push(
            "No strategy discussion recorded (`dutydesk strategy record`, Rec 51, 93).".to_string(),
        );
    }
    for s in &d.strategy {
        out.push(format!(
            "{} {} · s47 {} · manager from each agency {} · {}",
            fmt_short(s.held_at),
            s.how.as_str(),
            if s.s47 { "yes" } else { "no" },
            if s.manager_from_each() { "yes" } else { "NO" },
            match s.circulated_at {
                Some(t) => format!("circulated {}", fmt_short(t)),
                None => "NOT CIRCULATED".into(),
            }
        ));
        out.push(format!(
            "  who: {}",
            s.participants
                .iter()
                .map(|p| format!(
                    "{} ({}{})",
                    inert(&p.name),
                    inert(&p.agency),
                    if p.manager { ", manager" } else { "" }
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        if let Some(r) = &s.no_police_manager_reason {
            out.push(format!("  no police manager: {}", inert(r)));
        }
        if let Some(r) = &s.no_social_care_manager_reason {
            out.push(format!("  no social care manager: {}", inert(r)));
        }
        out.push(format!("  decided: {}", inert(&s.protective_action)));
        for a in &s.action_points {
            out.push(format!(
                "  action: {} · {} · due {} · review {}{}",
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
    out
}

struct Areas {
    child: Rect,
    actions: Rect,
    panel: Rect,
}

fn areas(area: Rect, header_rows: u16, d: &ReferralDetail) -> Areas {
    // A tall head leaves fewer rows to the actions, which then scroll with
    // the selection rather than being cut; the panel keeps four rows.
    let room = area.height.saturating_sub(header_rows + 3 + 4).max(1) as usize;
    let action_rows = d
        .actions
        .len()
        .clamp(1, if area.height >= 36 { 12 } else { 6 }.min(room));
    let [child, actions, panel] = Layout::vertical([
        Constraint::Length(header_rows),
        Constraint::Length(action_rows as u16 + 3),
        Constraint::Min(4),
    ])
    .areas(area);
    Areas {
        child,
        actions,
        panel,
    }
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
        self.teams = desk.teams()?;
        // The screening lists come from the settings everyone shares.
        match desk.settings() {
            Ok(v) => {
                self.need_levels = v.need_levels;
                self.urgency_meanings = v
                    .urgency_clocks
                    .into_iter()
                    .map(|c| (c.urgency, c.meaning))
                    .collect();
            }
            Err(DeskError::Forbidden { .. }) => {}
            Err(e) => return Err(e),
        }
        // Who would leave the action needing cover (absent or off shift
        // when it is due): asked of the desk's own rule while assigning.
        self.cover.clear();
        if let Some(action_id) = self.cover_for() {
            for p in &self.staff {
                if let Some(why) = desk.cover_if_owned(action_id, &p.login)? {
                    self.cover.push((p.login.clone(), why));
                }
            }
        }
        self.cover_wanted = false;
        Ok(())
    }

    fn wants_reload(&self) -> bool {
        self.cover_wanted
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<&str>, ctx: &Ctx) -> Vec<Effect> {
        if let Some(v) = self.viewer.as_mut() {
            if v.handle(&key) {
                self.viewer = None;
            }
            return Vec::new();
        }
        if self.case.is_some() {
            return self.case_key(key, ctx);
        }
        if self.dialog.is_some() {
            // "w" switches the assign dialog between the action and the
            // whole referral: who needs cover is asked again.
            let toggled = matches!(key.code, KeyCode::Char('w') | KeyCode::Tab)
                && matches!(self.dialog, Some(Dialog::Assign { .. }));
            let fx = self.dialog_key(key, ctx);
            if toggled {
                self.cover_wanted = true;
            }
            return fx;
        }
        let n = self.detail.as_ref().map_or(0, |d| d.actions.len());
        use ReferralAction as A;
        match action.and_then(A::parse) {
            Some(A::SelectNext) => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Some(A::SelectPrev) => self.selected = self.selected.saturating_sub(1),
            Some(A::ScrollUp) => self.scroll(-5),
            Some(A::ScrollDown) => self.scroll(5),
            Some(A::NextPanel) => {
                self.panel = self.panel.next();
                self.panel_scroll = 0;
                self.chron_back = 0;
            }
            Some(A::View) => self.open_viewer(ctx.now),
            Some(A::Chronology) => {
                if let Some(d) = &self.detail {
                    return vec![Effect::Open(super::screen::Open::Chronology(d.child.id))];
                }
            }
            Some(A::Allocate) => {
                return vec![Effect::Open(super::screen::Open::Allocate(self.id))];
            }
            Some(A::AcceptAllocation) => return self.open_case(CaseKind::Accept, ctx),
            Some(A::Authorise) => return self.open_case(CaseKind::Authorise, ctx),
            Some(A::Propose) => return self.open_case(CaseKind::Propose, ctx),
            Some(A::Transfer) => return self.open_case(CaseKind::RequestTransfer, ctx),
            Some(A::Oversight) => return self.open_case(CaseKind::Oversight, ctx),
            Some(a) => return self.open_dialog(a.name(), ctx),
            None => {}
        }
        Vec::new()
    }

    fn footer(&self) -> Vec<Hint> {
        use ReferralAction as A;
        if self.dialog.is_some() || self.viewer.is_some() || self.case.is_some() {
            return Vec::new();
        }
        let mut v: Vec<Hint> = Vec::new();
        // What the case waits for comes first: the worker's acceptance, a
        // manager's authorisation, the receiving team's answer.
        if let Some(d) = &self.detail {
            if d.allocation.as_ref().is_some_and(|a| a.is_new()) {
                v.push(A::AcceptAllocation.into());
            }
            if d.awaiting_authorisation().is_some() {
                v.push(A::Authorise.into());
            }
            if d.transfer.is_some() {
                v.push(A::Transfer.into());
            }
        }
        if let Some(a) = self.selected_action().filter(|a| a.is_open()) {
            v.push(A::Complete.into());
            v.push(A::Assign.into());
            if a.kind == crate::domain::ActionKind::Decision {
                v.push(A::Decide.into());
            }
        }
        v.extend([
            Hint::from(A::View),
            A::NextPanel.into(),
            A::Note.into(),
            A::AssignReferral.into(),
            A::Allocate.into(),
            A::Propose.into(),
            A::Oversight.into(),
            A::ScreenReferral.into(),
            A::Consent.into(),
            A::Decide.into(),
            A::Outcome.into(),
            A::Chronology.into(),
            A::Close.into(),
            A::Checklist.into(),
            A::AddPerson.into(),
        ]);
        if let Some(d) = &self.detail {
            if d.transfer.is_none() {
                v.push(A::Transfer.into());
            }
            if d.referral.state == ReferralState::Assessment {
                v.insert(0, A::Escalate.into());
            }
        }
        v
    }

    fn help(&self) -> Vec<(String, String)> {
        vec![
            ("Up/Down".into(), "in a dialog: choose".into()),
            ("Tab".into(), "in a dialog: the next field".into()),
            (
                "Enter".into(),
                "in a dialog: record it (Esc: cancel, nothing changes)".into(),
            ),
        ]
    }

    fn on_result(&mut self, result: &Result<Outcome, DeskError>) -> Vec<Effect> {
        if self.case.is_some() && self.waiting {
            self.waiting = false;
            return casework::result(&mut self.case, result);
        }
        if self.assigning > 0 {
            // One answer of "assign the whole referral": each action is its
            // own change; the dialog closes with the last.
            self.assigning -= 1;
            match result {
                Ok(Outcome::ActionChanged { action }) => {
                    self.assigned.0 += 1;
                    self.assigned.1 = action.owner.clone();
                }
                Ok(_) => self.assigned.0 += 1,
                Err(e) => self.assigned.2.push(e.to_string()),
            }
            if self.assigning > 0 {
                return Vec::new();
            }
            self.waiting = false;
            let (n, owner, errors) = std::mem::take(&mut self.assigned);
            let to = owner
                .as_deref()
                .map_or("nobody (unallocated)".to_string(), inert);
            if errors.is_empty() {
                self.dialog = None;
                return vec![Effect::Status(format!(
                    "the whole referral: {n} actions assigned to {to}"
                ))];
            }
            let msg = format!(
                "{n} actions assigned to {to}; {} not: {}",
                errors.len(),
                errors.join("; ")
            );
            if let Some(d) = self.dialog.as_mut() {
                d.set_error(msg.clone());
            }
            return vec![Effect::Status(msg)];
        }
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
                    // A person goes into the household: show it there.
                    Some(Dialog::AddPerson { .. }) => {
                        self.dialog = None;
                        self.panel = Panel::Household;
                        self.panel_scroll = 0;
                    }
                    // A note goes into the chronology: show it there.
                    Some(Dialog::Note { .. }) => {
                        self.dialog = None;
                        self.panel = Panel::Chronology;
                        self.chron_back = 0;
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
                    Outcome::MemberAdded { entry } => format!(
                        "household: {} added ({}){}",
                        inert(&entry.member.name),
                        entry.member.role.label(),
                        match entry.earlier.len() {
                            0 => String::new(),
                            n => format!("; known from {n} other record(s): see Household"),
                        }
                    ),
                    other => {
                        super::screening::outcome_status(other).unwrap_or_else(|| "saved".into())
                    }
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
        self.dialog.is_some() || self.viewer.is_some() || self.case.is_some()
    }

    fn on_paste(&mut self, text: &str, ctx: &Ctx) -> Vec<Effect> {
        let field = match self.case.as_mut() {
            Some(c) => c.focused_field(),
            None => self.dialog.as_mut().and_then(|d| d.focused_field(ctx.now)),
        };
        let Some(field) = field else {
            return vec![Effect::Status("nothing here takes a paste".into())];
        };
        if !field.paste(text) {
            return vec![Effect::Status(format!(
                "paste refused: the field takes at most {} characters",
                field.max_chars
            ))];
        }
        Vec::new()
    }

    fn on_mouse(&mut self, ev: MouseEvent, area: Rect, ctx: &Ctx) -> Vec<Effect> {
        let Some(d) = &self.detail else {
            return Vec::new();
        };
        let a = areas(area, self.header_rows(d, ctx.now, area.width), d);
        match ev.kind {
            MouseEventKind::ScrollUp => self.scroll(-3),
            MouseEventKind::ScrollDown => self.scroll(3),
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
        let header = self.header(d, ctx.now, area.width);
        let a = areas(area, casework::rows_of(&header, area.width), d);
        f.render_widget(
            Paragraph::new(header).wrap(ratatui::widgets::Wrap { trim: false }),
            a.child,
        );

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
                        widgets::action_label(act.kind, act.detail.as_deref()),
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
                    widgets::action_label(act.kind, act.detail.as_deref()),
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
        .highlight_symbol("▶")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
        .block(Block::bordered().title(format!(
            " Actions ({}): the keys act on the selected one ",
            d.actions.len()
        )));
        let mut st = TableState::default();
        if !d.actions.is_empty() {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(table, a.actions, &mut st);

        // The panel: the call, earlier referrals or the chronology, wrapped
        // to the width; the viewer reads it whole.
        let inner_w = a.panel.width.saturating_sub(2).max(1) as usize;
        let lines: Vec<String> = self
            .panel_text(d, self.panel)
            .iter()
            .flat_map(|p| widgets::wrap_text(p, inner_w))
            .collect();
        let inner_h = a.panel.height.saturating_sub(2) as usize;
        let max = lines.len().saturating_sub(inner_h);
        // The chronology opens on its newest entries; the others at the top.
        let start = if self.panel == Panel::Chronology {
            max.saturating_sub(self.chron_back)
        } else {
            self.panel_scroll.min(max)
        };
        let more = if max > 0 {
            format!(
                " lines {}–{} of {} ",
                start + 1,
                (start + inner_h).min(lines.len()),
                lines.len()
            )
        } else {
            String::new()
        };
        let shown: Vec<Line> = lines
            .into_iter()
            .skip(start)
            .take(inner_h)
            .map(|l| {
                if l.starts_with("FLAGS:") {
                    Line::from(Span::styled(l, Urgency::Overdue.style()))
                } else {
                    Line::from(l)
                }
            })
            .collect();
        f.render_widget(
            Paragraph::new(shown).block(
                Block::bordered()
                    .title(self.panel_title(d, ctx, a.panel.width))
                    .title_bottom(Line::from(more).right_aligned()),
            ),
            a.panel,
        );

        if let Some(dialog) = &self.dialog {
            self.view_dialog(f, area, dialog, ctx);
        }
        if let Some(c) = &self.case {
            casework::view(f, area, c, d, &self.staff);
        }
        if let Some(v) = &self.viewer {
            v.draw(f, area);
        }
    }
}

impl ReferralScreen {
    /// What a dialog acts on, at its top: the action, the child and the due
    /// time (or the referral and the child), so the keys never act on
    /// something the person did not mean.
    fn dialog_head(&self, dialog: &Dialog, ctx: &Ctx) -> Vec<Line<'static>> {
        let Some(d) = &self.detail else {
            return Vec::new();
        };
        let child = inert_or(d.child.name.as_deref(), "(name not known)");
        let due = |a: &Action| {
            Span::styled(
                format!(
                    "due {} ({})",
                    fmt_short(a.due_at),
                    widgets::countdown_text(a.due_at, ctx.now)
                ),
                urgency(a.due_at, ctx.now).style(),
            )
        };
        let action_of = |id: i64| d.actions.iter().find(|a| a.id == id);
        let open_of = |kinds: &[ActionKind]| {
            d.actions
                .iter()
                .filter(|a| a.is_open() && kinds.contains(&a.kind))
                .min_by_key(|a| a.due_at)
        };
        let on = |what: String, a: Option<&Action>| {
            let mut spans = vec![Span::styled(what, Style::new().bold())];
            spans.push(Span::raw(format!(
                " · {child} · referral {}",
                d.referral.id
            )));
            if let Some(a) = a {
                spans.push(Span::raw(" · "));
                spans.push(due(a));
            }
            vec![Line::from(spans), Line::from("")]
        };
        match dialog {
            Dialog::Assign { whole: true, .. } => {
                let kinds: Vec<&str> = d
                    .actions
                    .iter()
                    .filter(|a| a.is_open() && a.kind != ActionKind::PassToDuty)
                    .map(|a| a.kind.short())
                    .collect();
                let mut v = on(format!("Every open action ({})", kinds.len()), None);
                v.insert(1, Line::from(format!("  {}", kinds.join(", "))));
                v
            }
            Dialog::Assign { action_id, .. }
            | Dialog::Complete { action_id, .. }
            | Dialog::Pass { action_id, .. } => {
                let a = action_of(*action_id);
                on(
                    a.map_or("the action".to_string(), |a| a.kind.label().to_string()),
                    a,
                )
            }
            Dialog::Decide { .. } => on("The decision".into(), open_of(&[ActionKind::Decision])),
            Dialog::Outcome { .. } => on(
                "The assessment outcome".into(),
                open_of(&[
                    ActionKind::InitialAssessment,
                    ActionKind::CoreAssessment,
                    ActionKind::SingleAssessment,
                ]),
            ),
            Dialog::Note { .. } => on("A note".into(), None),
            Dialog::Screen { .. } => on(
                "Screening (issue 16)".into(),
                open_of(&[ActionKind::Decision]),
            ),
            Dialog::Respond { action_id, .. } => {
                let a = action_of(*action_id);
                on(
                    format!(
                        "Agency check: {}",
                        a.and_then(|a| a.detail.as_deref())
                            .map(inert)
                            .unwrap_or_else(|| "the agency".into())
                    ),
                    a,
                )
            }
            Dialog::AddPerson { .. } => on("The household".into(), None),
            Dialog::Close { .. } => on("Closing the referral".into(), None),
            Dialog::Checklist { .. } => on("The closure checklist".into(), None),
            Dialog::Consent { .. } => on("Consent to share (Rec 34)".into(), None),
            Dialog::Escalate { .. } => on(
                format!(
                    "Escalation from {}",
                    self.detail.as_ref().map_or(String::new(), |d| {
                        match d.referral.decision {
                            Some(dec) => format!("the decision \"{}\"", dec.label()),
                            None => d.referral.state.label().to_string(),
                        }
                    })
                ),
                None,
            ),
        }
    }

    fn view_dialog(&self, f: &mut Frame, area: Rect, dialog: &Dialog, ctx: &Ctx) {
        let width = area.width.saturating_sub(4).min(72);
        let inner_w = width.saturating_sub(2) as usize;
        let mut lines: Vec<Line> = Vec::new();
        let title;
        let mut list: Option<(Vec<ListItem>, Option<usize>)> = None;
        let head = self.dialog_head(dialog, ctx);
        match dialog {
            Dialog::Assign {
                choice,
                whole,
                warned,
                ..
            } => {
                title = if *whole {
                    " Assign the whole referral to "
                } else {
                    " Assign this action to "
                };
                let mut items: Vec<ListItem> = self
                    .staff
                    .iter()
                    .map(|s| {
                        let absent = if s.is_absent(ctx.now) {
                            "  (absent)"
                        } else if self.cover.iter().any(|(l, _)| *l == s.login) {
                            "  (needs cover when due)"
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
                lines.push(Line::from(if warned.is_some() {
                    "Enter again: assign anyway · Up/Down someone else · Esc cancel"
                } else if *whole {
                    "Up/Down choose · w this action only · Enter assign all · Esc cancel"
                } else {
                    "Up/Down choose · w the whole referral · Enter assign · Esc cancel"
                }));
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
            Dialog::Screen {
                urgency,
                need,
                reason,
                field,
                ..
            } => {
                use crate::domain::screening::Urgency as Rag;
                title = " Screen the referral ";
                // What each urgency does, as the settings say (one home:
                // domain::screening's clocks).
                let items = Rag::ALL
                    .iter()
                    .map(|u| {
                        let meaning = self
                            .urgency_meanings
                            .iter()
                            .find(|(g, _)| g == u)
                            .map_or("", |(_, m)| m.as_str());
                        ListItem::new(format!("{:<6} {meaning}", u.as_str().to_uppercase()))
                    })
                    .collect();
                list = Some((items, *urgency));
                if urgency.is_none() {
                    lines.push(Line::from(
                        "Choose the urgency with Up/Down: nothing is chosen for you.".bold(),
                    ));
                }
                lines.push(Line::from(
                    "Level of need (this authority's continuum):".bold(),
                ));
                for (i, l) in self.need_levels.iter().enumerate() {
                    let chosen = *need == Some(i);
                    let text = format!(
                        "{} {} {}",
                        if chosen { ">" } else { " " },
                        l.level,
                        inert(&l.name)
                    );
                    lines.push(if chosen && *field == 1 {
                        Line::from(text.reversed())
                    } else if chosen {
                        Line::from(text.bold())
                    } else {
                        Line::from(text)
                    });
                }
                if need.is_none() {
                    lines.push(Line::from(if *field == 1 {
                        "  (Up/Down to choose)"
                    } else {
                        "  (Tab here, then Up/Down to choose)"
                    }));
                }
                lines.push(Line::from("Why this rating:".bold()));
                lines.push(reason.line(inner_w, *field == 2));
                lines.push(Line::from(
                    "Up/Down choose · Tab next field · Enter screen · Esc cancel",
                ));
            }
            Dialog::Consent {
                choice,
                reason,
                field,
                ..
            } => {
                use crate::domain::screening::ConsentStatus;
                title = " Consent to share ";
                let items = ConsentStatus::ALL
                    .iter()
                    .map(|c| ListItem::new(c.label().to_string()))
                    .collect();
                list = Some((items, *choice));
                if choice.is_none() {
                    lines.push(Line::from(
                        "Choose with Up/Down: nothing is chosen for you.".bold(),
                    ));
                }
                // The history so far, newest last.
                if let Some(d) = &self.detail {
                    for c in d.consents.iter().rev().take(3).rev() {
                        lines.push(Line::from(format!(
                            "  before: {} {} by {}",
                            c.status.label(),
                            fmt_short(c.decided_at),
                            inert(&c.decided_by)
                        )));
                    }
                }
                lines.push(Line::from(
                    "Why (required to override: the risk to the child; a duty manager only):"
                        .bold(),
                ));
                lines.push(reason.line(inner_w, *field == 1));
                lines.push(Line::from(
                    "Up/Down choose · Tab reason · Enter record · Esc cancel",
                ));
            }
            Dialog::Escalate { reason, .. } => {
                title = " Escalate to section 47 ";
                lines.push(Line::from(
                    "Starts a strategy discussion (within its clock, unless one is on file) and \
                     the section 47 assessment clock, both from now; the first decision stays in \
                     the chronology. A duty manager only."
                        .to_string(),
                ));
                lines.push(Line::from("Why it escalates:".bold()));
                lines.push(reason.line(inner_w, true));
                lines.push(Line::from("Enter escalate · Esc cancel"));
            }
            Dialog::Respond {
                due_at,
                choice,
                shared,
                given_by,
                reason,
                field,
                ..
            } => {
                title = " The agency's response (Rec 34) ";
                let items = ["nothing known", "information shared"]
                    .iter()
                    .map(|s| ListItem::new(s.to_string()))
                    .collect();
                list = Some((items, *choice));
                if choice.is_none() {
                    lines.push(Line::from(
                        "Choose the response with Up/Down: nothing is chosen for you.".bold(),
                    ));
                }
                lines.push(Line::from("What the agency shared:".bold()));
                lines.push(shared.line(inner_w, *field == 1));
                lines.push(Line::from("Who gave it (name and role):".bold()));
                lines.push(given_by.line(inner_w, *field == 2));
                if is_late(ctx.now, *due_at) {
                    lines.push(Line::from(Span::styled(
                        format!(
                            "LATE: was due {}. Reason it is late (Rec 35):",
                            fmt_short(*due_at)
                        ),
                        Urgency::Overdue.style(),
                    )));
                    lines.push(reason.line(inner_w, *field == 3));
                }
                lines.push(Line::from(
                    "Up/Down choose · Tab next field · Enter record · Esc cancel",
                ));
            }
            Dialog::AddPerson {
                role,
                name,
                dob,
                address,
                pr,
                link,
                field,
                ..
            } => {
                title = " Add a person to the household ";
                let items = MemberRole::ALL
                    .iter()
                    .map(|r| ListItem::new(r.label()))
                    .collect();
                list = Some((items, *role));
                let parent = role.map(|r| MemberRole::ALL[r]) == Some(MemberRole::ParentCarer);
                let label = |s: &'static str, on: bool| {
                    if on {
                        Line::from(s.bold())
                    } else {
                        Line::from(s)
                    }
                };
                if role.is_none() {
                    lines.push(Line::from("Choose the role with Up/Down.".bold()));
                }
                lines.push(label("Name:", *field == 1));
                lines.push(name.line(inner_w, *field == 1));
                lines.push(label("Date of birth (dd/mm/yyyy):", *field == 2));
                lines.push(dob.line(inner_w, *field == 2));
                lines.push(label("Address:", *field == 3));
                lines.push(address.line(inner_w, *field == 3));
                if parent {
                    lines.push(Line::from(vec![
                        Span::styled(
                            "Parental responsibility (Up/Down): ",
                            if *field == 4 {
                                Style::new().bold()
                            } else {
                                Style::new()
                            },
                        ),
                        Span::styled(
                            ["unknown", "yes", "no"][(*pr).min(2)],
                            Style::new().reversed(),
                        ),
                    ]));
                }
                lines.push(label(
                    "On file as (an id the desk names, \"new\", or blank):",
                    *field == 5,
                ));
                lines.push(link.line(inner_w, *field == 5));
                lines.push(Line::from("Tab next field · Enter add · Esc cancel"));
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
                list = Some((items, *choice));
                if choice.is_none() {
                    lines.push(Line::from(
                        "Choose the decision with Up/Down: nothing is chosen for you.".bold(),
                    ));
                }
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
                list = Some((items, *choice));
                if choice.is_none() {
                    lines.push(Line::from(
                        "Choose the outcome with Up/Down: nothing is chosen for you.".bold(),
                    ));
                }
                let ends = choice.and_then(|c| AssessmentOutcome::ALL.get(c))
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
        let list_h = list_len.min(
            area.height
                .saturating_sub(text_h + head.len() as u16 * 2 + 2)
                .max(list_len.min(3)),
        );
        let head_h: u16 = head
            .iter()
            .map(|l| (l.width() as u16).div_ceil(inner_w.max(1) as u16).max(1))
            .sum();
        let height = head_h + list_h + text_h + 2;
        let rect = centered(area, width, height);
        f.render_widget(Clear, rect);
        let block = Block::bordered().title(title);
        let inner = block.inner(rect);
        f.render_widget(block, rect);
        let [head_area, list_area, text_area] = Layout::vertical([
            Constraint::Length(head_h),
            Constraint::Length(list_h),
            Constraint::Min(1),
        ])
        .areas(inner);
        f.render_widget(
            Paragraph::new(head).wrap(ratatui::widgets::Wrap { trim: false }),
            head_area,
        );
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

/// Why `p` cannot work an action now or when it is due, by the allocation
/// rule (`domain::allocation`: active duty staff, at work). `None`: they can.
fn owner_warning(
    p: &Staff,
    now: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    cover: Option<CoverReason>,
) -> Option<String> {
    let facts = p.owner_facts();
    if let Some(why) = duty_owner_problem(&facts, now) {
        return Some(match (why, p.absent_until) {
            (crate::domain::allocation::NotAllocated::OwnerAbsent, Some(u)) => {
                format!("is absent until {}", fmt_short(u))
            }
            (crate::domain::allocation::NotAllocated::OwnerAbsent, None) => {
                "is absent, with no return date".into()
            }
            (why, _) => format!("cannot hold it now ({})", why.label()),
        });
    }
    if let Some(d) = due.filter(|d| *d > now) {
        if let Some(why) = duty_owner_problem(&facts, d) {
            return Some(format!(
                "will not be at work when it is due ({}: {})",
                fmt_short(d),
                why.label()
            ));
        }
    }
    // The handover's own rule (Rec 50): off shift when it is due.
    cover.map(|c| match c {
        CoverReason::OffShift => {
            "is off shift when it is due (their team does not work that shift)".to_string()
        }
        other => other.label().to_string(),
    })
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

/// The Screening and Agency checks sections (issue 16; Rec 34): every
/// screening (RAG, level of need, by whom, when, why), consent, an
/// escalation, and each agency with its owner, due and response.
fn screening_text(d: &ReferralDetail) -> Vec<String> {
    use crate::domain::screening::CheckResponse;
    let mut v = vec!["SCREENING".to_string()];
    if d.screenings.is_empty() {
        v.push("  not screened yet".into());
    }
    for s in &d.screenings {
        v.push(format!(
            "  {} {} by {}: level {} {}: {}",
            fmt_short(s.screened_at),
            s.urgency.as_str().to_uppercase(),
            inert(&s.screened_by),
            s.need_level,
            inert(&s.need_name),
            inert(&s.reason)
        ));
    }
    // Every consent record, oldest first: the last is the one in force.
    for (i, c) in d.consents.iter().enumerate() {
        let now_or_before = if i + 1 == d.consents.len() {
            "consent"
        } else {
            "consent before"
        };
        v.push(format!(
            "  {now_or_before}: {} ({} {}){}",
            c.status.label(),
            inert(&c.decided_by),
            fmt_short(c.decided_at),
            c.reason
                .as_deref()
                .map(|r| format!(": {}", inert(r)))
                .unwrap_or_default()
        ));
    }
    for e in &d.escalations {
        v.push(format!(
            "  ESCALATED to section 47 {} by {} from {}: {}",
            fmt_short(e.escalated_at),
            inert(&e.escalated_by),
            e.from_state.label(),
            inert(&e.reason)
        ));
    }
    v.push(String::new());
    v.push("AGENCY CHECKS (Rec 34)".to_string());
    if d.checks.is_empty() {
        v.push("  none: screening makes one for each agency in the settings".into());
    }
    for c in &d.checks {
        let a = d.actions.iter().find(|a| a.id == c.action_id);
        let response = match (&c.response, a) {
            (Some(CheckResponse::NothingKnown { given_by }), _) => format!(
                "nothing known{}",
                given_by
                    .as_deref()
                    .map(|g| format!(" ({})", inert(g)))
                    .unwrap_or_default()
            ),
            (Some(CheckResponse::Shared { text, given_by }), _) => {
                format!("shared by {}: {}", inert(given_by), inert(text))
            }
            (None, Some(a)) if a.is_cancelled() => "cancelled".into(),
            (None, _) => "awaiting".into(),
        };
        v.push(format!(
            "  {:<30} {:<10} due {} · {}{}",
            inert(&c.agency),
            a.and_then(|a| a.owner.as_deref())
                .map(inert)
                .unwrap_or_else(|| "UNALLOCATED".into()),
            a.map(|a| fmt_short(a.due_at)).unwrap_or_default(),
            response,
            if a.is_some_and(|a| a.late) {
                " (late)"
            } else {
                ""
            }
        ));
    }
    v
}
