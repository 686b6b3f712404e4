//! Commands (changes) and their outcomes: plain serde values, so a later
//! `dutydesk serve` can take them over a socket.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::closure::ChecklistItem;
use crate::domain::letters::{ChaseMethod, ConfirmationMethod, LetterKind, SendMethod};
use crate::domain::{AssessmentOutcome, ClosureReason, Decision, Role};
use crate::store::{Action, Allocation, Referral};

/// One child on a call, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildInput {
    /// `None`: the caller does not know the child's name (recorded as such).
    pub name: Option<String>,
    /// UK order `dd/mm/yyyy` (or ISO).
    pub dob: Option<String>,
    /// Approximate age in years when the date of birth is not known.
    pub approx_age: Option<u32>,
    /// Unborn child: the expected date of delivery.
    pub expected_date: Option<String>,
    pub address: Option<String>,
    pub first_language: Option<String>,
    pub interpreter_needed: bool,
    /// Link to a child already on file (chosen from the re-referral matches).
    pub existing_child_id: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferrerInput {
    pub name: Option<String>,
    pub relationship: Option<String>,
    /// CIN referral source code; `10` (unknown) when not given.
    pub source: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A call as logged (Rec 39): the child(ren), the concern, the referrer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallInput {
    pub children: Vec<ChildInput>,
    pub concern: String,
    pub deliberate_harm: bool,
    pub possible_crime: bool,
    pub referrer: ReferrerInput,
    /// When the call began; now when not given.
    pub received_at: Option<DateTime<Utc>>,
    /// Team name; the caller's team (or the first team) when not given.
    pub team: Option<String>,
    /// Login of the duty worker or duty manager (at work) the call was
    /// passed to verbally, if it was (Rec 39).
    pub passed_verbally_to: Option<String>,
    /// Why it was passed after the hour, when it was. Without one a late
    /// pass is not recorded: the call is logged and its pass to duty stays
    /// open for `dutydesk action pass`.
    #[serde(default)]
    pub passed_late_reason: Option<String>,
    /// The draft this call was typed into, if any (it is submitted, not copied).
    pub draft_id: Option<i64>,
    /// The adults of the household named on the call (issue 16): each is
    /// recorded on the household of every referral the call makes, in the
    /// same transaction as the call.
    #[serde(default)]
    pub people: Vec<CallPerson>,
}

/// An adult named on a call: the person as `referral person add` takes it,
/// and, when the worker has said it is them, the person on file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPerson {
    #[serde(flatten)]
    pub person: crate::domain::household::PersonInput,
    /// The person on file this adult is. Without it, an adult strong enough
    /// to be someone on file is still recorded (a call is never lost), as
    /// someone new, and the possible match is in the outcome.
    #[serde(default)]
    pub link: Option<i64>,
}

/// An adult on file who may be the adult named on a call but was not
/// linked: the call recorded them as new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleMatch {
    pub person_id: i64,
    pub score: u32,
    pub why: String,
}

/// An adult recorded from a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPersonRecorded {
    /// The name as recorded.
    pub name: String,
    pub person_id: Option<i64>,
    pub role: crate::domain::household::MemberRole,
    /// Their household row on each referral of the call, in the call's order.
    pub member_ids: Vec<i64>,
    /// Whether the worker linked them to a person on file.
    pub linked: bool,
    /// Strong matches on file, when not linked: to check and link.
    pub possible_matches: Vec<PossibleMatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// First run: creates the first team and makes the actor its duty manager.
    Init {
        team: String,
        display_name: String,
        /// A training database: DUTYDESK_NOW and DUTYDESK_USER work on it
        /// (fixed at creation, never changeable).
        #[serde(default)]
        training: bool,
    },
    AddTeam {
        name: String,
        phone: Option<String>,
        email: Option<String>,
    },
    AddStaff {
        login: String,
        display_name: String,
        role: Role,
        team: Option<String>,
    },
    SetStaff {
        login: String,
        display_name: Option<String>,
        role: Option<Role>,
        team: Option<String>,
        active: Option<bool>,
    },
    /// Marks staff absent from `from` until `until` (None: no end date).
    MarkAbsent {
        login: String,
        from: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        note: Option<String>,
    },
    ClearAbsence {
        login: String,
    },
    LogCall(CallInput),
    /// Saves the form as typed; creates the draft when `draft_id` is None.
    SaveDraft {
        draft_id: Option<i64>,
        started_at: DateTime<Utc>,
        form_json: String,
    },
    AbandonDraft {
        draft_id: i64,
        reason: String,
    },
    /// Assigns (or with `owner: None`, un-assigns) an action.
    AssignAction {
        action_id: i64,
        owner: Option<String>,
    },
    /// A duty manager allocates a referral whole to a duty worker (or, with
    /// a reason, a duty manager: Kent Q4) with what is expected, by when and
    /// a review date (Rec 53). Every open action of it with no owner (and
    /// those of the worker it is taken from) goes to the worker, each logged;
    /// others' stay theirs. Refused for front-line staff, directors, and
    /// anyone absent or inactive (Rec 52, 55). The worker sees it as new
    /// until they accept it.
    AllocateReferral {
        referral_id: i64,
        /// The worker's login.
        to: String,
        /// What is expected of the worker (Rec 53).
        expected: String,
        /// The London day the work is expected by.
        by: chrono::NaiveDate,
        /// The London day the manager reviews it.
        review: chrono::NaiveDate,
        /// Why, when the case goes to a duty manager (Kent Q4).
        #[serde(default)]
        reason: Option<String>,
    },
    /// A duty manager asks for the referral to move to another team, with
    /// why (Rec 42). It stays with its team, clocks running, until the
    /// receiving team's duty manager accepts it; both teams see it as in
    /// transfer, and their handovers list it.
    RequestTransfer {
        referral_id: i64,
        /// The receiving team's name.
        to_team: String,
        reason: String,
    },
    /// The receiving team's duty manager takes the referral on: it moves
    /// now, its open actions with it. Whoever holds it keeps it until the new
    /// team allocates it.
    AcceptTransfer {
        referral_id: i64,
        #[serde(default)]
        note: Option<String>,
    },
    /// The receiving team's duty manager declines, with why: it stays.
    DeclineTransfer {
        referral_id: i64,
        reason: String,
    },
    /// A duty manager of the sending team withdraws the request, with why.
    WithdrawTransfer {
        referral_id: i64,
        reason: String,
    },
    /// A duty manager records supervision or management oversight on a
    /// referral (Rec 45; Kent Q8): what was discussed, and what is to happen,
    /// by when and by whom; each item with `make_action` becomes an action
    /// point on the referral.
    RecordOversight {
        referral_id: i64,
        kind: crate::domain::oversight::OversightKind,
        discussed: String,
        #[serde(default)]
        to_happen: Vec<crate::domain::oversight::ToHappen>,
    },
    /// A duty manager's audit of one of a month's closed or no-further-action
    /// referrals (Rec 30), answering each question of the checklist in the
    /// settings in order; never of a case they decided or closed.
    RecordCaseAudit {
        referral_id: i64,
        /// `YYYY-MM`.
        month: String,
        answers: Vec<crate::domain::case_audit::Answer>,
        #[serde(default)]
        note: Option<String>,
    },
    /// A duty worker or duty manager screens a referral (issue 16): its RAG
    /// urgency and level of need on the continuum in the settings, with why.
    /// Red or amber re-times the open decision (never later than it was);
    /// the first screening makes an agency check for each agency in the
    /// settings (Rec 34), owned by the screener. Re-screening keeps history.
    ScreenReferral {
        referral_id: i64,
        urgency: crate::domain::screening::Urgency,
        /// The level's number or name.
        need: String,
        reason: String,
    },
    /// An agency's response to a check (Rec 34): ends its `agency_check`
    /// action; after its due time that needs `late_reason` (Rec 35).
    RespondToCheck {
        action_id: i64,
        response: crate::domain::screening::CheckResponse,
        /// When the agency answered; now when not given.
        #[serde(default)]
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// Consent to share information: given, refused, or overridden because
    /// of risk (a duty manager, with the reason). Who decided is the actor.
    RecordConsent {
        referral_id: i64,
        status: crate::domain::screening::ConsentStatus,
        #[serde(default)]
        reason: Option<String>,
    },
    /// A duty manager escalates a referral in assessment to a strategy
    /// discussion and section 47 enquiry, with why. The first decision stays
    /// in the chronology; the section 47 clocks run from now.
    EscalateToSection47 {
        referral_id: i64,
        reason: String,
    },
    /// The allocated worker accepts the case: it is no longer new to them.
    AcceptAllocation {
        referral_id: i64,
    },
    /// Completes an action that ends with a written outcome (see child,
    /// police informed, strategy discussion …). Other kinds end their own way
    /// (`domain::endings`) and are refused with the command that ends them.
    CompleteAction {
        action_id: i64,
        outcome: String,
        late_reason: Option<String>,
        /// When it happened (not before the referral, not in the future);
        /// now when not given. The event keeps this and when it was recorded.
        #[serde(default)]
        at: Option<DateTime<Utc>>,
    },
    /// Rec 39: the call was passed to a duty worker or duty manager at work,
    /// verbally and in writing. Ends the referral's `pass_to_duty` action.
    PassToDuty {
        action_id: i64,
        to_login: String,
        #[serde(default)]
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// The decision on a referral (a duty manager). Ends its `decision`
    /// action; past the deadline that needs `late_reason`.
    RecordDecision {
        referral_id: i64,
        decision: Decision,
        note: Option<String>,
        /// When the decision was made; now when not given.
        #[serde(default)]
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// An assessment's outcome. `no_service` and `service_needed` end the
    /// open assessment action (NI59/NI60); late, that needs `late_reason`.
    RecordOutcome {
        referral_id: i64,
        outcome: AssessmentOutcome,
        /// When the assessment was completed (or the service provided).
        #[serde(default)]
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// A worker proposes an assessment's outcome (`no_service` or
    /// `service_needed`) for a duty manager to authorise (Rec 25). It takes
    /// effect only when authorised; until then the referral is awaiting
    /// authorisation. (`RecordOutcome` from anyone who may not authorise is
    /// the same proposal.)
    ProposeOutcome {
        referral_id: i64,
        outcome: AssessmentOutcome,
        #[serde(default)]
        note: Option<String>,
    },
    /// A worker proposes no further action on an undecided referral, with
    /// why, for a duty manager to authorise (Rec 25, 30).
    ProposeNoFurtherAction {
        referral_id: i64,
        note: String,
    },
    /// A duty manager authorises the referral's awaiting proposal: it takes
    /// effect now, as if the manager recorded it. For an assessment outcome
    /// the manager confirms the child and carer were seen and spoken to.
    AuthoriseProposal {
        referral_id: i64,
        #[serde(default)]
        child_and_carer_seen: bool,
        #[serde(default)]
        note: Option<String>,
        /// Needed when the assessment (or the decision) is late by now (Rec 35).
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// A duty manager sends the awaiting proposal back to the worker, with why.
    ReturnProposal {
        referral_id: i64,
        reason: String,
    },
    AddNote {
        referral_id: i64,
        text: String,
    },
    /// Ends a shift: stores the handover report as it stands, with the
    /// outgoing lead's notes, for the named incoming lead (Rec 50). `team`:
    /// the actor's team when not given.
    HandOver {
        team: Option<String>,
        to_login: String,
        notes: Option<String>,
    },
    /// The incoming lead (or a duty manager) acknowledges a handover.
    AcknowledgeHandover {
        id: i64,
    },
    /// Moves every open action of one member of staff to a named colleague
    /// who is at work (cover, Rec 50): one event per action. Duty manager.
    ReassignAll {
        from_login: String,
        to_login: String,
    },
    /// Records that someone opened a child's record (Rec 58: who looked).
    ViewRecord {
        child_id: i64,
        referral_id: Option<i64>,
        via: String,
    },
    /// Children in Need census details (src/desk/census.rs).
    Census(super::census::CensusCommand),
    /// Rec 21: the professional referrer's written confirmation arrived.
    /// Completes the referral's `written_confirmation` action as of
    /// `received_at` (now when not given); arriving after the 48 hours needs
    /// `late_reason`.
    ReceiveConfirmation {
        referral_id: i64,
        method: ConfirmationMethod,
        received_at: Option<DateTime<Utc>>,
        late_reason: Option<String>,
    },
    /// Rec 21: the referrer was chased for their written confirmation.
    ChaseConfirmation {
        referral_id: i64,
        method: ChaseMethod,
        /// When the chase was made; now when not given.
        at: Option<DateTime<Utc>>,
        note: Option<String>,
    },
    /// A letter to the referrer was drafted (the text as written out), for the
    /// record and the chronology. Draft it with `Desk::draft_letter`.
    RecordLetterDrafted {
        referral_id: i64,
        letter: LetterKind,
        body: String,
    },
    /// A letter went to the referrer. For `feedback` this completes the
    /// `referrer_feedback` action (Haringey JAR 14, Kent Q3); sending after
    /// its due instant needs `late_reason`.
    MarkLetterSent {
        referral_id: i64,
        letter: LetterKind,
        method: SendMethod,
        /// When it was sent; now when not given.
        at: Option<DateTime<Utc>>,
        late_reason: Option<String>,
    },
    /// As `ViewRecord`, with the reason the record is opened (logged). A
    /// director sees figures, not names, and opens a named record only this way.
    ViewRecordWithReason {
        child_id: i64,
        referral_id: Option<i64>,
        via: String,
        reason: String,
    },
    /// Records one closure-checklist item (Rec 26, Rec 40) as done, or why not.
    RecordChecklistItem {
        referral_id: i64,
        item: ChecklistItem,
        status: ItemStatus,
        note: Option<String>,
    },
    /// Closes a referral (duty managers only). Refused with the list of what
    /// is missing until the checklist is complete and no action is open;
    /// `cancel_open_actions` closes the open actions as not needed, with that reason.
    CloseReferral {
        referral_id: i64,
        reason: ClosureReason,
        note: Option<String>,
        cancel_open_actions: Option<String>,
    },
    /// A manager adds an entry to a child's chronology (Rec 58).
    AddChronologyEntry {
        child_id: i64,
        referral_id: Option<i64>,
        text: String,
        /// When it happened, if not now.
        occurred_at: Option<DateTime<Utc>>,
    },
    /// A manager marks an event significant, so it shows in the chronology.
    /// Events are never changed: this appends a `marked_significant` event.
    MarkSignificant {
        event_id: i64,
    },
    /// A duty manager sets one of the desk's settings: the statutory clocks
    /// and calendar, the same for everyone on this database
    /// (`domain::settings`). Keys: `timescales.profile`,
    /// `timescales.override.KIND` (a timescale), `calendar.closure.DATE` and
    /// `calendar.not_holiday.DATE` (value `""`). An event with before and after.
    SetSetting {
        key: String,
        value: String,
    },
    /// A duty manager puts one setting back to its default.
    ClearSetting {
        key: String,
    },
    /// The one-time import of an old personal config file's `[timescales]`
    /// and `[calendar]` values (`(key, value)` as `SetSetting` takes them),
    /// into a database whose settings were never set; a duty manager's, one
    /// `settings_imported` event.
    ImportSettings {
        rows: Vec<(String, String)>,
    },
    /// A person of the child's household, with their role (issue 16). An
    /// adult is matched against the adults of earlier referrals, a sibling
    /// against the children on file: a strong match is not made a new
    /// person or child until the caller says which (`link`: the person's id,
    /// or for a sibling the child's) or that it is someone new (`new`).
    AddHouseholdMember {
        referral_id: i64,
        person: crate::domain::household::PersonInput,
        #[serde(default)]
        link: Option<i64>,
        #[serde(default)]
        new: bool,
    },
    /// Someone recorded on a household in error, or who has left: marked
    /// removed with why; the record keeps the row.
    RemoveHouseholdMember {
        member_id: i64,
        reason: String,
    },
    /// A strategy discussion (Rec 51, 93; Working Together 2023): who took
    /// part, what was decided and its action points, each an action point
    /// in the queue. Ends the referral's open strategy_discussion action
    /// (late needs `late_reason`) and starts the record's circulation clock.
    RecordStrategyDiscussion {
        referral_id: i64,
        discussion: crate::domain::strategy::DiscussionInput,
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// The strategy discussion's record circulated to those who took part
    /// and those with an action point (Rec 51): ends its circulation clock.
    MarkStrategyCirculated {
        discussion_id: i64,
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        late_reason: Option<String>,
    },
}

/// A closure-checklist item: done (when; now if not given), or not done and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ItemStatus {
    Done { at: Option<DateTime<Utc>> },
    NotDone { reason: String },
}

/// A referral with its actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReferralWithActions {
    #[serde(flatten)]
    pub referral: Referral,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Done {
        summary: String,
    },
    CallLogged {
        call_id: i64,
        referrals: Vec<ReferralWithActions>,
        /// The adults named on the call, as recorded.
        #[serde(default)]
        people: Vec<CallPersonRecorded>,
    },
    DraftSaved {
        draft_id: i64,
    },
    ActionChanged {
        action: Action,
    },
    ReferralChanged {
        referral: ReferralWithActions,
    },
    /// A referral allocated (Rec 53).
    Allocated {
        allocation: Allocation,
        /// The open actions that went to the worker with the case, each logged.
        moved: Vec<Action>,
        /// Open actions that stay with their own owners.
        kept: Vec<Action>,
        /// The worker's caseload with this case.
        caseload: super::allocation::Caseload,
        /// Whether the referral now counts as allocated (the desk's one
        /// definition: DESIGN.md, "unallocated").
        referral_allocated: bool,
        /// Things the manager should know: over the caseload ceiling (Rec 52),
        /// a worker of another team, actions left with others.
        warnings: Vec<String>,
    },
    /// A referral screened (issue 16).
    Screened {
        screening: crate::store::Screening,
        referral: ReferralWithActions,
        /// The agency checks this screening made.
        checks_made: Vec<crate::store::AgencyCheck>,
        /// Open actions whose due this screening brought forward (the
        /// decision, open checks), with their new due.
        retimed: Vec<Action>,
    },
    /// An agency's response recorded (Rec 34).
    CheckAnswered {
        check: crate::store::AgencyCheck,
        action: Action,
    },
    /// Consent to share recorded.
    ConsentRecorded {
        consent: crate::store::Consent,
    },
    /// A referral escalated to section 47.
    Escalated {
        escalation: crate::store::Escalation,
        referral: ReferralWithActions,
        /// The section 47 clocks made from the escalation.
        made: Vec<Action>,
    },
    /// A person added to a referral's household, with what the desk already
    /// knows of them (earlier households, with why).
    MemberAdded {
        entry: super::household::HouseholdEntry,
    },
    MemberRemoved {
        member: crate::store::HouseholdMember,
    },
    /// A strategy discussion recorded (Rec 51, 93).
    StrategyRecorded {
        discussion: crate::domain::strategy::Discussion,
        /// The strategy_discussion action it ended, if one was open.
        ended_action: Option<i64>,
        /// The record's circulation clock (Rec 51).
        circulation_action: Option<i64>,
        /// Other actions the discussion started (Working Together 2023: the
        /// initial conference).
        started: Vec<i64>,
        /// Things the recorder should know (section 47 agreed but the
        /// decision is not section 47).
        notes: Vec<String>,
    },
    StrategyCirculated {
        discussion: crate::domain::strategy::Discussion,
    },
}
