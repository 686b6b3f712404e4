//! Who may do and see what: the one permission table (DESIGN.md, "Private";
//! CONVENTIONS.md, "One rule, one place"). The desk looks every command and
//! every query up here before it touches the file; no other code decides by
//! role.
//!
//! Rows are what someone wants to do; columns are the four roles. A login
//! that is not on the staff list, or is no longer active, has no column: it
//! gets nothing but a message saying who to ask.

use serde::{Deserialize, Serialize};

use super::Role;

/// How far a role may go with one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Allowed.
    Yes,
    /// Only their own: their own actions in the queue, their own unfinished calls.
    Own,
    /// Figures and counts, never a name, address, phone number or free text
    /// (Rec 29: a director sees figures).
    Figures,
    /// One named record, only with a reason logged with the view, for
    /// [`NAMED_ACCESS_HOURS`] (a director's way to a named record).
    WithReason,
    /// Refused.
    No,
}

/// How long a director's reasoned opening of one child's record lasts.
pub const NAMED_ACCESS_HOURS: i64 = 8;

macro_rules! permissions {
    ($( $(#[$m:meta])* $name:ident, $what:literal, [$f:ident, $w:ident, $dm:ident, $d:ident]; )+) => {
        /// Everything the desk can be asked to do or show.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Permission { $( $(#[$m])* $name ),+ }

        impl Permission {
            /// Every permission, in table order.
            pub const ALL: &'static [Permission] = &[$(Permission::$name),+];

            /// What it is, for messages ("closing a referral needs …").
            pub fn what(self) -> &'static str {
                match self { $(Permission::$name => $what),+ }
            }

            /// The table's row: front-line, duty worker, duty manager, director.
            pub fn row(self) -> [Access; 4] {
                use Access::*;
                match self { $(Permission::$name => [$f, $w, $dm, $d]),+ }
            }
        }
    };
}

permissions! {
    // ------------------------------------------------------------- changes
    /// Log a call and keep its draft (Rec 39).
    LogCall, "logging a call", [Yes, Yes, Yes, No];
    /// Abandon someone else's unfinished call.
    AbandonOthersDraft, "abandoning another person's unfinished call", [No, No, Yes, No];
    ManageTeams, "adding or changing a team", [No, No, Yes, No];
    /// Add staff, change their role or team, mark them absent or back.
    ManageStaff, "managing staff", [No, No, Yes, No];
    /// The statutory clocks and calendar stored in the database.
    ManageSettings, "changing the desk's settings (timescales, calendar)", [No, No, Yes, No];
    /// Allocate or re-allocate any action (Rec 53, 54).
    AssignAnyAction, "assigning an action", [No, No, Yes, No];
    /// Allocate a referral whole to a worker with what is expected, by when
    /// and a review date (Rec 53); its unowned open actions follow.
    AllocateCase, "allocating a case", [No, No, Yes, No];
    /// Accept a case allocated to you (it shows as new until then).
    AcceptAllocation, "accepting a case allocated to you", [No, Yes, Yes, No];
    /// Ask for a referral to move to another team (Rec 42).
    RequestTransfer, "asking for a referral to move to another team", [No, No, Yes, No];
    /// Accept or decline a transfer into your own team (its duty manager).
    DecideTransfer, "accepting or declining a transfer into a team", [No, No, Yes, No];
    /// Record supervision or management oversight on a referral (Rec 45).
    RecordOversight, "recording supervision or oversight", [No, No, Yes, No];
    /// Draw a month's case-audit sample and record audits (Rec 30).
    AuditCases, "auditing cases", [No, No, Yes, No];
    /// Take an unallocated action for yourself.
    TakeUnallocatedAction, "taking an unallocated action", [No, Yes, Yes, No];
    /// Complete an action you own.
    CompleteOwnAction, "completing an action", [Yes, Yes, Yes, No];
    /// Complete an action nobody owns yet.
    CompleteUnallocatedAction, "completing an unallocated action", [No, Yes, Yes, No];
    /// Complete an action someone else owns.
    CompleteOthersAction, "completing another person's action", [No, No, Yes, No];
    /// Complete a statutory action other than passing a call to duty: seeing
    /// the child, informing the police, a strategy discussion, an assessment …
    /// (front-line staff pass calls to duty; social workers do the rest).
    CompleteStatutoryAction, "completing a social work action", [No, Yes, Yes, No];
    /// Pass a call to a duty worker or duty manager at work, verbally and in
    /// writing (Rec 39): the call you took.
    PassCallToDuty, "passing a call to the duty team", [Yes, Yes, Yes, No];
    /// Pass to duty a call someone else took (or nobody owns).
    PassOthersCallToDuty, "passing another person's call to the duty team", [No, Yes, Yes, No];
    /// The decision on a referral (Rec 19).
    RecordDecision, "recording a decision", [No, No, Yes, No];
    RecordOutcome, "recording an assessment outcome", [No, Yes, Yes, No];
    /// Propose an assessment's outcome or no further action for a manager to
    /// authorise (Rec 25); a worker's outcome is always a proposal.
    ProposeForAuthorisation, "proposing an outcome or no further action for authorisation", [No, Yes, Yes, No];
    /// Authorise (or return) a proposed assessment outcome or no further
    /// action; a manager's own outcome and decision need none (Rec 25).
    Authorise, "authorising an assessment outcome or no further action", [No, No, Yes, No];
    AddNote, "adding a note", [Yes, Yes, Yes, No];
    RecordCensusDetails, "recording census details", [No, Yes, Yes, No];
    ChangeClosureReason, "changing a closure reason", [No, No, Yes, No];
    /// Add a chronology entry or mark an event significant (Rec 58).
    EditChronology, "editing a chronology", [No, No, Yes, No];
    /// Record a closure-checklist item as done (Rec 26, 40).
    RecordChecklistItem, "recording a closure checklist item", [No, Yes, Yes, No];
    /// Record why a closure step was not taken.
    WaiveChecklistItem, "recording why a closure step was not taken", [No, No, Yes, No];
    CloseReferral, "closing a referral", [No, No, Yes, No];
    /// Written confirmation received, chases (Rec 21).
    RecordConfirmation, "recording written confirmation or a chase", [Yes, Yes, Yes, No];
    /// The acknowledgement letter to a referrer.
    AcknowledgementLetter, "an acknowledgement letter to a referrer", [Yes, Yes, Yes, No];
    /// The feedback letter to a referrer (Haringey JAR 14).
    FeedbackLetter, "a feedback letter to a referrer", [No, Yes, Yes, No];
    /// Give or acknowledge a shift handover (Rec 50).
    HandOver, "a shift handover", [No, Yes, Yes, No];
    /// Acknowledge a handover given to someone else.
    AcknowledgeOthersHandover, "acknowledging a handover given to someone else", [No, No, Yes, No];
    /// Move one person's work to a colleague at work (Rec 50).
    Cover, "re-assigning someone's work", [No, No, Yes, No];
    /// Screen a referral: its RAG urgency and level of need, with the reason
    /// (issue 16); the first screening starts the agency checks (Rec 34).
    ScreenReferral, "screening a referral (urgency and level of need)", [No, Yes, Yes, No];
    /// Record an agency's response to a check: nothing known, or what it
    /// shared and who gave it (Rec 34).
    RecordCheckResponse, "recording an agency's response to a check", [No, Yes, Yes, No];
    /// Record consent to share as given or refused.
    RecordConsent, "recording consent to share information", [No, Yes, Yes, No];
    /// Share without consent (or against a refusal) because of risk to the
    /// child, with the reason: a manager's decision.
    OverrideConsent, "overriding consent to share because of risk", [No, No, Yes, No];
    /// Escalate a referral in assessment to a strategy discussion and
    /// section 47 enquiry (Rec 93; Working Together).
    EscalateToSection47, "escalating a referral to section 47", [No, No, Yes, No];
    /// Add a person to a referral's household (issue 16): front-line staff
    /// take it from the caller.
    RecordHousehold, "recording the household", [Yes, Yes, Yes, No];
    /// Mark someone removed from a household, with why.
    RemoveHouseholdMember, "removing someone from a household", [No, Yes, Yes, No];
    /// Record a strategy discussion with its action points (Rec 51, 93).
    RecordStrategyDiscussion, "recording a strategy discussion", [No, Yes, Yes, No];
    /// Record a strategy discussion's record as circulated (Rec 51).
    CirculateStrategy, "recording a strategy discussion circulated", [No, Yes, Yes, No];
    // --------------------------------------------------------------- reads
    /// Header counts and the desk's own settings: no names.
    ReadCounts, "the queue's counts", [Yes, Yes, Yes, Yes];
    /// The staff list and teams (staff names, not children's).
    ReadStaff, "the staff list", [Yes, Yes, Yes, Yes];
    /// The queue with children's names (Rec 19).
    ReadQueue, "the queue", [Own, Yes, Yes, Figures];
    /// Unfinished calls (drafts).
    ReadDrafts, "unfinished calls", [Own, Own, Yes, No];
    /// Earlier records matching a child being described on a call.
    ReadMatches, "earlier records of a child", [Yes, Yes, Yes, No];
    /// One referral: the child, the concern, the referrer, the actions.
    ReadRecord, "a child's record", [Yes, Yes, Yes, WithReason];
    /// A child's chronology (Rec 58).
    ReadChronology, "a child's chronology", [No, Yes, Yes, WithReason];
    /// Who looked at and changed what.
    ReadAudit, "the audit of who looked", [No, No, Yes, Figures];
    /// Each worker's caseload: open cases, open and overdue actions (Rec 52).
    /// Staff names and counts; no child's name.
    ReadCaseloads, "workers' caseloads", [No, Yes, Yes, Figures];
    /// The cases allocated to a worker, with the children's names.
    ReadAllocations, "the cases allocated to a worker", [No, Yes, Yes, No];
    /// Open referrals not overseen in N working days, with the children's names.
    ReadOversight, "referrals due oversight", [No, Yes, Yes, No];
    /// Referrals in transfer between teams, with the reasons (Rec 42).
    ReadTransfers, "referrals in transfer between teams", [No, Yes, Yes, No];
    /// Proposals awaiting authorisation, with the children's names (Rec 25).
    ReadAuthorisations, "proposals awaiting authorisation", [No, Yes, Yes, No];
    /// Awaiting written confirmation, with referrers' contact details (Rec 21).
    ReadConfirmations, "confirmations with referrers' contact details", [Yes, Yes, Yes, No];
    /// The handover report and stored handovers (names, notes).
    ReadHandover, "the handover", [No, Yes, Yes, No];
    /// Free text people typed (late reasons, notes) inside otherwise
    /// figure-only outputs such as the report: a director gets counts.
    ReadFreeText, "free text (late reasons, notes)", [Yes, Yes, Yes, No];
    /// The director's figures (Rec 29, 54): counts only.
    ReadFigures, "the figures", [No, Yes, Yes, Yes];
    /// The Children in Need census return and its check (UPNs, dates of birth).
    ExportCensus, "the census return", [No, No, Yes, No];
    /// A copy of the whole file.
    Backup, "a backup of the database", [No, No, Yes, No];
    /// The integrity check and the event log's head (no record text).
    Verify, "verifying the database", [No, Yes, Yes, Yes];
}

/// Which row ending an action needs, by whose it is: one's own, nobody's
/// yet, or someone else's. Every way an action ends (`action done`, an
/// agency check's response, …) asks this, then the row for its kind.
pub fn to_end_action(me: &str, owner: Option<&str>) -> Permission {
    match owner {
        Some(o) if o == me => Permission::CompleteOwnAction,
        None => Permission::CompleteUnallocatedAction,
        Some(_) => Permission::CompleteOthersAction,
    }
}

/// A role's access to one permission: the table's one lookup.
pub fn access(role: Role, p: Permission) -> Access {
    let row = p.row();
    match role {
        Role::Frontline => row[0],
        Role::DutyWorker => row[1],
        Role::DutyManager => row[2],
        Role::Director => row[3],
    }
}

/// Who may, in words for a refusal: "the role of duty social worker or
/// duty team manager" (every role with any access to `p`).
pub fn who_may(p: Permission) -> String {
    let needs = roles_with(p, false)
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(" or ");
    if needs.is_empty() {
        "a role nobody has".into()
    } else {
        format!("the role of {needs}")
    }
}

/// The roles with any access (`Yes`, `Own`, `Figures` or `WithReason`) to a
/// permission, for messages ("needs a duty worker or duty manager").
pub fn roles_with(p: Permission, full_only: bool) -> Vec<Role> {
    [
        Role::Frontline,
        Role::DutyWorker,
        Role::DutyManager,
        Role::Director,
    ]
    .into_iter()
    .filter(|&r| match access(r, p) {
        Access::No => false,
        Access::Yes => true,
        _ => !full_only,
    })
    .collect()
}

/// The table as text, for `dutydesk permissions` and the README.
pub fn table_text() -> String {
    let mut out = format!(
        "{:<44} {:<10} {:<10} {:<10} {:<10}\n",
        "permission", "frontline", "worker", "manager", "director"
    );
    for p in Permission::ALL {
        let cell = |a: Access| match a {
            Access::Yes => "yes",
            Access::Own => "own",
            Access::Figures => "figures",
            Access::WithReason => "reason",
            Access::No => "-",
        };
        let r = p.row();
        out.push_str(&format!(
            "{:<44} {:<10} {:<10} {:<10} {:<10}\n",
            p.what(),
            cell(r[0]),
            cell(r[1]),
            cell(r[2]),
            cell(r[3])
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directors_never_change_a_record_and_see_names_only_with_a_reason() {
        for &p in Permission::ALL {
            match access(Role::Director, p) {
                Access::Yes => assert!(
                    matches!(
                        p,
                        Permission::ReadCounts
                            | Permission::ReadStaff
                            | Permission::ReadFigures
                            | Permission::Verify
                    ),
                    "a director has full access to {p:?}"
                ),
                Access::Own => panic!("a director owns nothing: {p:?}"),
                _ => {}
            }
        }
    }

    #[test]
    fn only_duty_managers_decide_close_and_manage() {
        for p in [
            Permission::RecordDecision,
            Permission::CloseReferral,
            Permission::ManageStaff,
            Permission::ManageSettings,
            Permission::AssignAnyAction,
            Permission::AllocateCase,
            Permission::Authorise,
            Permission::RequestTransfer,
            Permission::DecideTransfer,
            Permission::Backup,
            Permission::ExportCensus,
            Permission::OverrideConsent,
            Permission::EscalateToSection47,
        ] {
            assert_eq!(roles_with(p, false), vec![Role::DutyManager], "{p:?}");
        }
    }

    #[test]
    fn front_line_logs_calls_but_reads_no_chronology_audit_or_handover() {
        assert_eq!(access(Role::Frontline, Permission::LogCall), Access::Yes);
        assert_eq!(access(Role::Frontline, Permission::ReadQueue), Access::Own);
        for p in [
            Permission::ReadChronology,
            Permission::ReadAudit,
            Permission::ReadHandover,
            Permission::ReadFigures,
        ] {
            assert_eq!(access(Role::Frontline, p), Access::No, "{p:?}");
        }
    }

    #[test]
    fn the_table_prints_every_row() {
        let t = table_text();
        assert_eq!(t.lines().count(), Permission::ALL.len() + 1);
        assert!(t.contains("closing a referral"));
    }
}
