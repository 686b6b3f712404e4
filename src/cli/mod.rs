//! Subcommands: build commands and queries, print the results.

mod allocation;
mod annex_a;
mod authorisation;
mod case_audit;
pub mod census;
mod chronology;
mod closure;
pub mod confirmations;
mod handover;
mod household;
pub mod keymap;
pub mod output;
mod oversight;
mod print;
pub mod report;
pub mod restore;
mod screening;
pub mod settings;
mod strategy;
mod transfer;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::desk::QueueFilter;
use crate::desk::{CallInput, ChildInput, Client, Command, DeskError, Outcome, ReferrerInput};
use crate::domain::matching::{self, Probe};
use crate::domain::time::parse_instant;
use crate::domain::{ActionKind, AssessmentOutcome, Decision, Role};
pub use crate::session::{open_client, open_client_keyed, open_desk, open_desk_with, secure, Env};
use output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "dutydesk",
    version,
    about = "A terminal duty desk for a children's social care front door",
    long_about = "A terminal duty desk for a children's social care front door.\n\n\
        With no subcommand it opens the live queue. Every deadline is an action with an owner \
        and a due instant, made by the statutory clocks (Rec 19, 21, 35, 39, 98 of the Victoria \
        Climbié Inquiry; NI59/NI60).\n\n\
        Environment: DUTYDESK_DB (database file), DUTYDESK_NOW (RFC 3339: fixes the clock for \
        tests and training), DUTYDESK_USER (act as another staff member; the log records the \
        real login beside it), DUTYDESK_CONFIG (personal config file: [shifts]; the statutory \
        clocks are the database's settings, see `dutydesk settings`)."
)]
pub struct Cli {
    /// The database file [default: the platform data directory]
    #[arg(long, env = "DUTYDESK_DB", global = true)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Cmd {
    /// Create the database and its first team; you become its duty manager
    Init {
        #[arg(long, default_value = "Duty and Assessment")]
        team: String,
        /// Your name as colleagues see it [default: your login]
        #[arg(long)]
        name: Option<String>,
        /// A team sharing one host: create the file 0660 for this group (its
        /// -wal and -shm files too) instead of 0600
        #[arg(long)]
        group: Option<String>,
        /// Encrypt the file at rest (builds with the `sqlcipher` feature):
        /// the passphrase from DUTYDESK_KEY, or asked for twice
        #[arg(long)]
        encrypt: bool,
        /// A training database: DUTYDESK_NOW and DUTYDESK_USER work on it,
        /// and every screen and command says it is for training. Fixed when
        /// the file is created; a live database (the default) refuses both
        #[arg(long)]
        training: bool,
    },
    /// Fill a new database with realistic demo data (teams, staff, a year of referrals)
    Demo {
        #[arg(long, default_value_t = 2000)]
        referrals: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Open the queue on it afterwards (uses the demo database by default)
        #[arg(long)]
        open: bool,
    },
    /// Log a call about one or more children (Rec 39)
    Call(CallArgs),
    /// Open actions: overdue first, then by due instant (Rec 19)
    Queue(QueueArgs),
    /// Professional referrals awaiting written confirmation within 48 hours (Rec 21):
    /// referrer, agency, phone, countdown and chases, overdue first
    Confirmations(confirmations::ListArgs),
    /// Written confirmation of one referral: receive, chase, history, acknowledge (Rec 21)
    #[command(subcommand)]
    Confirmation(confirmations::ConfirmationCmd),
    /// Written feedback to the referrer on the action taken: draft, sent (Haringey JAR 14, Kent Q3)
    #[command(subcommand)]
    Feedback(confirmations::FeedbackCmd),
    /// Assign or complete an action
    #[command(subcommand)]
    Action(ActionCmd),
    /// Show a referral, record its decision, outcome or a note
    #[command(subcommand)]
    Referral(ReferralCmd),
    /// Manage staff: list, add, set, absent, back
    #[command(subcommand)]
    Staff(StaffCmd),
    /// Agency checks made by screening (Rec 34): record a response
    #[command(subcommand)]
    Check(screening::CheckCmd),
    /// Each worker's load: open cases, new (not accepted), open and overdue actions,
    /// against the caseload ceiling (Rec 52); --worker or --mine lists the cases
    Caseload(allocation::CaseloadArgs),
    /// Supervision and management oversight on a referral (Rec 45, Kent Q8): record
    /// what was discussed and what is to happen; list referrals not overseen in N days
    #[command(subcommand)]
    Oversight(oversight::OversightCmd),
    /// A reproducible random sample of a month's closed and no-further-action
    /// referrals for a duty manager to audit (Rec 30; Derby 4)
    #[command(name = "audit-sample")]
    AuditSample(case_audit::SampleArgs),
    /// Record the audit of one sampled case against the checklist (duty managers)
    #[command(name = "audit-case")]
    AuditCase(case_audit::AuditCaseArgs),
    /// Move a referral to another team: request, accept, decline, withdraw, list.
    /// It moves only when the receiving team's duty manager accepts it (Rec 42)
    #[command(subcommand)]
    Transfer(transfer::TransferCmd),
    /// Assessment outcomes and "no further action" proposed by workers, awaiting a
    /// duty manager's authorisation (Rec 25), oldest first
    Authorisations(authorisation::ListArgs),
    /// Strategy discussions (Rec 51, 93; Working Together 2023): record one with who took
    /// part, what was decided and its action points; show it (Markdown to circulate);
    /// list a referral's; record it circulated
    #[command(subcommand)]
    Strategy(strategy::StrategyCmd),
    /// Add a team
    Team {
        name: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Check the file, the event log's hash chain, every record against its seals (a row
    /// changed, inserted or deleted behind dutydesk's back is named) and every handover's
    /// recorded head (Rec 58)
    ///
    /// Exits 1 when anything is wrong; until a later verify passes, every screen shows a
    /// banner and every command a warning. Without --key the keyed part of a server's log
    /// is not checked, and verify says so.
    Verify {
        /// Print only the log's head (event count and hash), to compare with paper
        #[arg(long)]
        head: bool,
        /// Print event N's hash and time: to check this file (a restored copy)
        /// against a head printed on paper when the log held N events
        #[arg(long, value_name = "N", conflicts_with = "head")]
        event: Option<i64>,
        /// The server's chain key file: check the keyed part of the log with it
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The restore drill: restore the Litestream replica to a scratch file,
    /// verify it, print its log head and how far behind the live file it is
    RestoreCheck(restore::RestoreCheckArgs),
    /// Make a consistent copy of the database while others are writing, to a
    /// new file readable by you only (an existing name, link or folder is refused)
    Backup { file: PathBuf },
    /// End-of-shift handover: the report, give, ack, list, show (Rec 50)
    Handover(handover::HandoverArgs),
    /// Move every open action of one member of staff to a colleague at work (Rec 50)
    Cover(handover::CoverArgs),
    /// Children in Need census: the year's return (XML), --check, and recording its details
    Census(census::CensusArgs),
    /// Ofsted's Annex A lists this desk holds (1 contacts, 3 referrals, 4 assessments,
    /// 5 section 47 enquiries and conferences) as CSV with Annex A's headings, for a
    /// period (default the six months to today); for those allowed the census
    #[command(name = "annex-a")]
    AnnexA(annex_a::AnnexArgs),
    /// A child's chronology: significant events across all referrals (Rec 58)
    Chronology(Box<chronology::ChronologyArgs>),
    /// Who viewed or changed what, and when (duty managers; directors see figures)
    Audit(Box<chronology::AuditArgs>),
    /// The director's figures for a period: referred, needing and given a service, unmet need, timeliness, unallocated (Rec 29, 54)
    Report(report::ReportArgs),
    /// Open the terminal screens (the default)
    Tui,
    /// Own the database file and answer staff over a Unix socket (run it as
    /// the desk's service account; see the README, "Deploying for a team")
    Serve {
        /// The socket [default: $XDG_RUNTIME_DIR/dutydesk/dutydesk.sock, else
        /// /run/dutydesk/dutydesk.sock]
        #[arg(long)]
        socket: Option<PathBuf>,
        /// The group whose members may connect (the socket becomes 0660 for it)
        #[arg(long)]
        group: Option<String>,
        /// Where `dutydesk backup NAME` writes through this server (by name only)
        #[arg(long)]
        backup_dir: Option<PathBuf>,
        /// Litestream replicates this file (deploy/litestream.yml): leave
        /// checkpoints to it (PRAGMA wal_autocheckpoint = 0); every commit is
        /// still fsync'd (synchronous=FULL)
        #[arg(long)]
        replicated: bool,
        /// The server's chain key file (made by --init-key): every seal is an
        /// HMAC with it. Without it the server runs unkeyed and says so
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Once, at set-up: create the chain key FILE (0400, this account's;
        /// never replaced), key the log with it, and exit
        #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "socket", "group", "backup_dir"])]
        init_key: Option<PathBuf>,
    },
    /// Check or show keymaps (keymaps/default.toml, your keymap.toml)
    #[command(subcommand)]
    Keymap(keymap::KeymapCmd),
    /// Print shell completions: `dutydesk completions bash > /etc/bash_completion.d/dutydesk`
    /// (zsh: into a directory on $fpath as `_dutydesk`; fish: ~/.config/fish/completions/dutydesk.fish)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `dutydesk man > dutydesk.1; man -l dutydesk.1`
    Man,
    /// The statutory clocks and calendar of this database: show (anyone); set, unset, closure,
    /// not-holiday (duty managers). Working Together; Rec 19, 21, 35, 39, 98; NI59/NI60
    #[command(subcommand, long_about = settings::SETTINGS_HELP)]
    Settings(settings::SettingsCmd),
}

/// Shell completions generated from the command-line definitions above.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "dutydesk", &mut out);
    out
}

/// The manual page (roff) from the same definitions: the program, then one
/// section per subcommand.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.extend_from_slice(format!(".TP\n\\fBdutydesk {}\\fR\n", sub.get_name()).as_bytes());
        let about = sub
            .get_about()
            .map(|a| a.to_string())
            .unwrap_or_default()
            .replace('\\', "\\e")
            .replace('\n', " ");
        // A line starting with . or ' is a roff request: escape it.
        let about = if about.starts_with(['.', '\'']) {
            format!("\\&{about}")
        } else {
            about
        };
        out.extend_from_slice(about.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(
        b".SH EXIT STATUS\n0 success; 2 bad input or a refusal (the reason on stderr; nothing \
          was changed); 1 anything else.\n",
    );
    man.render_version_section(&mut out)?;
    Ok(out)
}

#[derive(Debug, Args)]
pub struct CallArgs {
    /// Child's name; repeat for siblings (one referral each). "unknown" if not known
    #[arg(long = "child-name", required = true)]
    pub child_name: Vec<String>,
    /// Date of birth, dd/mm/yyyy (applies to every child named)
    #[arg(long)]
    pub dob: Option<String>,
    #[arg(long)]
    pub address: String,
    /// Nature of the concern
    #[arg(long)]
    pub concern: String,
    /// CIN referral source code (1A … 10); 10 (unknown) if not given
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub referrer_name: Option<String>,
    /// Relationship to the child, or agency
    #[arg(long)]
    pub referrer_relationship: Option<String>,
    #[arg(long)]
    pub referrer_phone: Option<String>,
    #[arg(long)]
    pub referrer_address: Option<String>,
    #[arg(long)]
    pub referrer_email: Option<String>,
    /// Deliberate harm alleged: child seen within 24 hours (Rec 35)
    #[arg(long)]
    pub deliberate_harm: bool,
    /// May be a criminal offence: police informed (Rec 98)
    #[arg(long)]
    pub possible_crime: bool,
    #[arg(long)]
    pub first_language: Option<String>,
    #[arg(long)]
    pub interpreter: bool,
    /// When the call began (RFC 3339 or dd/mm/yyyy HH:MM London) [default: now]
    #[arg(long)]
    pub received_at: Option<String>,
    #[arg(long)]
    pub team: Option<String>,
    /// Login of the duty worker or duty manager (at work) it was passed to
    /// verbally: completes pass_to_duty (Rec 39)
    #[arg(long)]
    pub passed_to: Option<String>,
    /// Why it was passed to duty after the hour (needed when it was; without
    /// it the call is logged and its pass to duty left open)
    #[arg(long, requires = "passed_to")]
    pub late_reason: Option<String>,
    /// The child is this child already on file (by child id): the call is a
    /// re-referral. One child only
    #[arg(long, alias = "child-id", conflicts_with = "new_child")]
    pub link: Option<i64>,
    /// Make a new child even though an earlier record matches strongly
    #[arg(long)]
    pub new_child: bool,
    /// An adult of the household, "NAME;ROLE[;DOB[;ADDRESS]]" (ROLE as
    /// `referral person add --role`); repeat for each. Recorded on every
    /// referral's household; an adult who may already be on file is
    /// recorded as new and the possible match printed (issue 16)
    #[arg(long = "person", value_name = "NAME;ROLE[;DOB[;ADDRESS]]")]
    pub person: Vec<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    #[arg(long)]
    pub team: Option<String>,
    /// Only my actions
    #[arg(long)]
    pub mine: bool,
    #[arg(long)]
    pub overdue: bool,
    #[arg(long)]
    pub unallocated: bool,
    /// Only one kind of action (e.g. see_child)
    #[arg(long)]
    pub kind: Option<String>,
    /// Part of a child's name
    #[arg(long)]
    pub child: Option<String>,
    /// Only referrals screened red, amber or green (issue 16)
    #[arg(long)]
    pub urgency: Option<String>,
    /// due (the default: overdue first, then by due) or urgency (overdue
    /// first, then red, amber, the rest, each by due)
    #[arg(long, default_value = "due")]
    pub sort: String,
    /// At most this many rows, most overdue first (stderr says when the list is cut)
    #[arg(long, default_value_t = 500)]
    pub limit: i64,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ActionCmd {
    /// Assign (or re-assign) an action to a member of staff
    Assign {
        id: i64,
        /// Login of the new owner
        #[arg(
            long,
            conflicts_with = "unassign",
            required_unless_present = "unassign"
        )]
        to: Option<String>,
        #[arg(long)]
        unassign: bool,
    },
    /// Complete an action with its outcome; a late one needs a reason (Rec 35).
    /// Only actions that end with an outcome: a decision ends by `referral
    /// decide`, an assessment by `referral outcome`, pass to duty by `action
    /// pass`, written confirmation by `confirmation receive`, feedback by
    /// `feedback sent`
    Done {
        id: i64,
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        late_reason: Option<String>,
        /// When it happened (dd/mm/yyyy HH:MM London, or RFC 3339) [default:
        /// now]; not before the referral was received, not in the future
        #[arg(long)]
        at: Option<String>,
    },
    /// Pass a call to the duty team (Rec 39): to a duty worker or duty
    /// manager who is at work; ends the pass_to_duty action
    Pass {
        id: i64,
        /// Login of the duty worker or duty manager it was passed to
        #[arg(long)]
        to: String,
        /// When it was passed [default: now]
        #[arg(long)]
        at: Option<String>,
        /// Needed when passed after the hour (Rec 35, 39)
        #[arg(long)]
        late_reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReferralCmd {
    /// A referral: the child, earlier referrals, actions, chronology
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Why you open this record (logged; how a director opens a named record)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Close a referral (duty managers): a CIN closure reason, and for deliberate
    /// harm the Rec 40 checklist complete (Rec 26, 40)
    Close(closure::CloseArgs),
    /// Show the closure checklist, or record one item as done or why not (Rec 26, 40)
    Checklist(closure::ChecklistArgs),
    /// Record the decision: nfa, advice, other_agency, assessment, s47 (ends
    /// the decision action; after its deadline a reason is needed)
    Decide {
        id: i64,
        #[arg(long)]
        decision: String,
        /// Required for other_agency: which agency and why (Rec 48)
        #[arg(long)]
        note: Option<String>,
        /// When the decision was made [default: now]
        #[arg(long)]
        at: Option<String>,
        /// Needed when the decision is late (Rec 35)
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// Allocate the case whole to a worker with what is expected, by when and a
    /// review date (Rec 53); without --to, lists the candidates and their caseloads.
    /// Its unowned open actions go to the worker. Not to front-line staff,
    /// directors, or anyone absent or inactive; a manager needs --reason (Kent Q4)
    Allocate(allocation::AllocateArgs),
    /// Accept a case allocated to you (it shows as new until you do)
    Accept { id: i64 },
    /// Propose an assessment outcome (no_service, service_needed) or no further
    /// action (--nfa --note WHY) for a duty manager to authorise (Rec 25)
    Propose(authorisation::ProposeArgs),
    /// Authorise the referral's proposal (duty managers): it takes effect now. For
    /// an assessment outcome, confirm the child and carer were seen (Rec 25)
    Authorise(authorisation::AuthoriseArgs),
    /// Send the referral's proposal back to the worker, with why (duty managers)
    Return {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Record an assessment outcome: no_service, service_needed, service_provided
    /// (no_service and service_needed end the assessment: NI59, NI60). From a duty
    /// worker, no_service and service_needed are proposals that take effect when a
    /// duty manager authorises them (Rec 25)
    Outcome {
        id: i64,
        #[arg(long)]
        outcome: String,
        /// When the assessment was completed [default: now]
        #[arg(long)]
        at: Option<String>,
        /// Needed when the assessment is completed late
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// Add a note to the referral's chronology
    Note {
        id: i64,
        #[arg(long)]
        text: String,
    },
    /// Screen a referral (duty workers and managers): RAG urgency and level of
    /// need, with why. Red or amber brings the decision forward (never later);
    /// screening makes an agency check for each agency in the settings (Rec 34)
    Screen(screening::ScreenArgs),
    /// Record consent to share: --given, --refused, or --overridden because of
    /// risk (duty managers, with --reason)
    Consent(screening::ConsentArgs),
    /// Escalate a referral in assessment to a strategy discussion and section
    /// 47 enquiry (duty managers; Rec 93): the first decision stays in the
    /// chronology, the section 47 clocks run from now
    Escalate(screening::EscalateArgs),
    /// The household: add a person with their role, list them with their earlier
    /// involvement (and why), remove one with a reason (issue 16)
    #[command(subcommand)]
    Person(household::PersonCmd),
}

#[derive(Debug, Subcommand)]
pub enum StaffCmd {
    List {
        #[arg(long)]
        team: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    Add {
        login: String,
        #[arg(long)]
        name: String,
        /// frontline, duty_worker, duty_manager or director
        #[arg(long)]
        role: String,
        #[arg(long)]
        team: Option<String>,
    },
    Set {
        login: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        active: Option<bool>,
    },
    /// Mark absent from a time (default now) until a time (default: no end date)
    Absent {
        login: String,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Clear an absence
    Back { login: String },
}

fn exec(desk: &mut Client, cmd: Command) -> Result<Outcome, DeskError> {
    desk.execute(cmd)
}

fn instant(what: &str, s: &str) -> Result<DateTime<Utc>, DeskError> {
    parse_instant(s).map_err(|e| DeskError::Invalid(format!("{what}: {e}")))
}

/// What the entry point does after a subcommand has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    Exit,
    /// Open the terminal screens (`demo --open`).
    OpenScreens,
}

/// Runs one subcommand (not the screens: the entry point opens those).
pub fn dispatch(cmd: Cmd, env: &Env) -> Result<Then, DeskError> {
    dispatch_inner(cmd, env).map(|open| if open { Then::OpenScreens } else { Then::Exit })
}

fn dispatch_inner(cmd: Cmd, env: &Env) -> Result<bool, DeskError> {
    let r: Result<(), DeskError> = match cmd {
        Cmd::Init {
            team,
            name,
            group,
            encrypt,
            training,
        } => {
            let gid = group.as_deref().map(secure::gid_of_group).transpose()?;
            if (gid.is_some() || encrypt) && env.db.exists() {
                return Err(DeskError::Invalid(format!(
                    "{} already exists; --group and --encrypt apply to a new database",
                    env.db.display()
                )));
            }
            let overrides = env.overrides();
            if !training && !overrides.is_empty() {
                return Err(crate::session::live_override_refused(&overrides));
            }
            let mut desk = open_desk_with(env, gid, encrypt)?;
            let now = desk.clock_now();
            let out = desk.execute(
                Command::Init {
                    team,
                    display_name: name.unwrap_or_else(|| env.actor.login.clone()),
                    training,
                },
                now,
            )?;
            print::outcome(&out);
            println!("database: {}", env.db.display());
            // Now there is a duty manager: an old config's clocks move in.
            crate::session::settle_config_clocks(&mut desk, env)?;
            Ok(())
        }
        Cmd::Demo {
            referrals,
            seed,
            open,
        } => {
            let mut desk = open_desk(env)?;
            let fresh = desk.is_new()?;
            if fresh {
                let now = desk.clock_now();
                let t0 = std::time::Instant::now();
                // A bar on stderr while it runs (hidden when stderr is not a terminal).
                let bar = indicatif::ProgressBar::new(u64::from(referrals));
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "demo: {bar:30} {pos}/{len} referrals, {rate}, {elapsed} (about {eta} left)",
                    )
                    // A whole number a second: `{per_sec}` printed "4,463.6653/s".
                    .map(|s| {
                        s.with_key(
                            "rate",
                            |st: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                                let _ = write!(w, "{:.0}/s", st.per_sec());
                            },
                        )
                    })
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                let stats = crate::desk::demo::generate_with(
                    &mut desk,
                    &crate::desk::demo::DemoSpec {
                        referrals,
                        seed,
                        now,
                        manager_login: env.actor.login.clone(),
                    },
                    &mut |made, _| bar.set_position(made),
                );
                bar.finish_and_clear();
                let stats = stats?;
                eprintln!(
                    "demo: {} referrals, {} open actions, {} events in {:.1}s → {}",
                    stats.referrals,
                    stats.open_actions,
                    stats.events,
                    t0.elapsed().as_secs_f64(),
                    output::inert(&env.db.display().to_string())
                );
                for (demo, used) in &stats.renamed {
                    eprintln!(
                        "demo: {demo} is your own login (you are the demo's first duty manager), \
                         so the demo's {demo} is {used} here"
                    );
                }
            } else if !open {
                return Err(DeskError::Invalid(format!(
                    "{} already holds data; demo data goes only into a new database",
                    env.db.display()
                )));
            }
            if open {
                drop(desk);
                return Ok(true);
            }
            Ok(())
        }
        Cmd::Call(a) => run_call(a, env),
        Cmd::Queue(q) => {
            let mut desk = open_client(env)?;
            let now = desk.now();
            let team_id = match &q.team {
                Some(t) => Some(desk.team_named(t)?.id),
                None => None,
            };
            let kind = q.kind.as_deref().map(ActionKind::parse).transpose()?;
            let f = QueueFilter {
                team_id,
                owner: q.mine.then(|| env.actor.login.clone()),
                unallocated: q.unallocated,
                overdue: q.overdue,
                kind,
                child: q.child.clone(),
                urgency: q
                    .urgency
                    .as_deref()
                    .map(crate::domain::screening::Urgency::parse)
                    .transpose()?,
                by_urgency: match q.sort.trim().to_ascii_lowercase().as_str() {
                    "due" => false,
                    "urgency" | "rag" => true,
                    _ => return Err(DeskError::Invalid("--sort is due or urgency".into())),
                },
            };
            if q.limit < 1 {
                return Err(DeskError::Invalid("--limit must be at least 1".into()));
            }
            let rows = desk.queue(&f, 0, q.limit)?;
            if rows.len() as i64 == q.limit {
                let total = desk.queue_len(&f)?;
                if total > q.limit {
                    // On stderr, so a script reading stdout still gets clean rows.
                    eprintln!(
                        "dutydesk: the list is cut: showing the first {} of {} open actions \
                         (most overdue first); use --limit {} for all, or a filter",
                        q.limit, total, total
                    );
                }
            }
            print::queue(q.format, &rows, now).map_err(io)
        }
        Cmd::Confirmations(a) => confirmations::run_list(a, env),
        Cmd::Confirmation(c) => confirmations::run_confirmation(c, env),
        Cmd::Feedback(c) => confirmations::run_feedback(c, env),
        Cmd::Action(ActionCmd::Assign { id, to, unassign }) => {
            let mut desk = open_client(env)?;
            let owner = if unassign { None } else { to };
            let out = exec(
                &mut desk,
                Command::AssignAction {
                    action_id: id,
                    owner,
                },
            )?;
            print::outcome(&out);
            Ok(())
        }
        Cmd::Action(ActionCmd::Done {
            id,
            outcome,
            late_reason,
            at,
        }) => {
            let at = at.as_deref().map(|s| instant("--at", s)).transpose()?;
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::CompleteAction {
                    action_id: id,
                    outcome,
                    late_reason,
                    at,
                },
            )?;
            print::outcome(&out);
            Ok(())
        }
        Cmd::Action(ActionCmd::Pass {
            id,
            to,
            at,
            late_reason,
        }) => {
            let at = at.as_deref().map(|s| instant("--at", s)).transpose()?;
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::PassToDuty {
                    action_id: id,
                    to_login: to,
                    at,
                    late_reason,
                },
            )?;
            print::outcome(&out);
            Ok(())
        }
        Cmd::Referral(ReferralCmd::Show { id, format, reason }) => {
            let mut desk = open_client(env)?;
            // The opening is logged with the read, in one transaction (Rec 58).
            let detail = desk.referral(id, "cli referral show", reason)?;
            print::referral(format, &detail, desk.now()).map_err(io)
        }
        Cmd::Referral(ReferralCmd::Decide {
            id,
            decision,
            note,
            at,
            late_reason,
        }) => {
            let at = at.as_deref().map(|s| instant("--at", s)).transpose()?;
            let mut desk = open_client(env)?;
            let decision = Decision::parse(&decision)?;
            let out = exec(
                &mut desk,
                Command::RecordDecision {
                    referral_id: id,
                    decision,
                    note,
                    at,
                    late_reason,
                },
            )?;
            print::outcome(&out);
            Ok(())
        }
        Cmd::Referral(ReferralCmd::Outcome {
            id,
            outcome,
            at,
            late_reason,
        }) => {
            let at = at.as_deref().map(|s| instant("--at", s)).transpose()?;
            let mut desk = open_client(env)?;
            let outcome = AssessmentOutcome::parse(&outcome)?;
            let out = exec(
                &mut desk,
                Command::RecordOutcome {
                    referral_id: id,
                    outcome,
                    at,
                    late_reason,
                },
            )?;
            print::outcome(&out);
            Ok(())
        }
        Cmd::Referral(ReferralCmd::Note { id, text }) => {
            let mut desk = open_client(env)?;
            let out = exec(
                &mut desk,
                Command::AddNote {
                    referral_id: id,
                    text,
                },
            )?;
            print::outcome(&out);
            Ok(())
        }
        Cmd::Staff(s) => staff(s, env),
        Cmd::Team { name, phone, email } => {
            let mut desk = open_client(env)?;
            let out = exec(&mut desk, Command::AddTeam { name, phone, email })?;
            print::outcome(&out);
            Ok(())
        }
        Cmd::Verify {
            head,
            event,
            key,
            format,
        } => {
            // The server's key is the server's: with it, open the file
            // directly (root or the service account); without, ask the desk
            // as everything else does.
            let mut desk = match key {
                Some(k) => open_client_keyed(env, k)?,
                None => open_client(env)?,
            };
            if let Some(n) = event {
                let last = desk.head()?.last_id;
                return match desk.log_point(n)? {
                    Some(p) => print::log_point(format, &p).map_err(io).map(|()| false),
                    None => Err(DeskError::NotFound(format!(
                        "the event log has no event {n}: it holds events 1 to {last}"
                    ))),
                };
            }
            if head {
                let h = desk.head()?;
                return print::head(format, &h).map_err(io).map(|()| false);
            }
            let report = {
                let _busy = output::Busy::start("checking the file and the event log");
                desk.verify()?
            };
            print::verify(format, &report).map_err(io)?;
            if report.ok() {
                Ok(())
            } else {
                Err(DeskError::Store(crate::desk::StoreError::VerifyFailed(
                    verify_failure(&report),
                )))
            }
        }
        Cmd::Backup { file } => {
            // A new file only: a refused name is bad input (exit 2). Through a
            // server the copy goes into its backup folder, under this name.
            let mut desk = open_client(env)?;
            let written = {
                let _busy = output::Busy::start("copying the database");
                desk.backup(&file)?
            };
            println!(
                "backed up {} to {}",
                output::inert(&env.db.display().to_string()),
                output::inert(&written)
            );
            Ok(())
        }
        Cmd::Handover(a) => handover::run_handover(a, env),
        Cmd::Cover(a) => handover::run_cover(a, env),
        Cmd::Census(a) => census::run_census(a, env),
        Cmd::AnnexA(a) => annex_a::run_annex(a, env),
        Cmd::Referral(ReferralCmd::Close(a)) => closure::run_close(a, env),
        Cmd::Referral(ReferralCmd::Allocate(a)) => allocation::run_allocate(a, env),
        Cmd::Referral(ReferralCmd::Accept { id }) => allocation::run_accept(id, env),
        Cmd::Caseload(a) => allocation::run_caseload(a, env),
        Cmd::Referral(ReferralCmd::Propose(a)) => authorisation::run_propose(a, env),
        Cmd::Referral(ReferralCmd::Authorise(a)) => authorisation::run_authorise(a, env),
        Cmd::Referral(ReferralCmd::Return { id, reason }) => {
            authorisation::run_return(id, reason, env)
        }
        Cmd::Authorisations(a) => authorisation::run_list(a, env),
        Cmd::Transfer(c) => transfer::run_transfer(c, env),
        Cmd::Oversight(c) => oversight::run_oversight(c, env),
        Cmd::Referral(ReferralCmd::Person(c)) => household::run_person(c, env),
        Cmd::Strategy(c) => strategy::run_strategy(c, env),
        Cmd::AuditSample(a) => case_audit::run_sample(a, env),
        Cmd::AuditCase(a) => case_audit::run_audit_case(a, env),
        Cmd::Referral(ReferralCmd::Checklist(a)) => closure::run_checklist(a, env),
        Cmd::Referral(ReferralCmd::Screen(a)) => screening::run_screen(a, env),
        Cmd::Referral(ReferralCmd::Consent(a)) => screening::run_consent(a, env),
        Cmd::Referral(ReferralCmd::Escalate(a)) => screening::run_escalate(a, env),
        Cmd::Check(c) => screening::run_check(c, env),
        Cmd::Chronology(a) => chronology::run_chronology(*a, env),
        Cmd::Audit(a) => chronology::run_audit(*a, env),
        Cmd::Report(a) => report::run_report(a, env),
        Cmd::RestoreCheck(a) => restore::run_restore_check(a, env),
        Cmd::Tui => return Ok(true),
        Cmd::Serve { .. } => Err(DeskError::Invalid(
            "the server is started by the entry point".into(),
        )),
        Cmd::Keymap(_) => Err(DeskError::Invalid(
            "keymaps are the screens': the entry point runs this".into(),
        )),
        Cmd::Settings(c) => settings::run_settings(c, env),
        Cmd::Completions { .. } | Cmd::Man => Err(DeskError::Invalid(
            "completions and the manual are printed by the entry point".into(),
        )),
    };
    r.map(|()| false)
}

/// What `verify` found, and what to do about it.
fn verify_failure(r: &crate::desk::VerifyReport) -> String {
    const RESTORE: &str = "restore the last backup that verifies (`dutydesk --db BACKUP verify`)";
    if r.integrity != ["ok"] {
        let shown: Vec<&str> = r.integrity.iter().take(3).map(String::as_str).collect();
        return output::inert(&format!(
            "the database file is damaged (SQLite's integrity check: {}{}). Stop using it, \
             keep a copy as it is, and {RESTORE}",
            shown.join("; "),
            if r.integrity.len() > 3 { "; …" } else { "" }
        ));
    }
    if let Some((_, why)) = &r.chain.first_broken {
        return output::inert(&format!(
            "the event log is broken: {why}. The file was changed outside dutydesk: keep it as \
             it is (it is the evidence), tell whoever is responsible for the system, and \
             {RESTORE}; compare `dutydesk verify --head` with the head printed on the last \
             handover"
        ));
    }
    // The records against their seals, the seal chain, the key, the
    // handovers' heads: named by the report (tables and ids, no record text).
    match r.first_problem() {
        Some(p) => output::inert(&format!(
            "{p}. The file was changed outside dutydesk: keep it as it is (it is the \
             evidence), tell whoever is responsible for the system, and {RESTORE}"
        )),
        None => "see the report above".into(),
    }
}

/// `dutydesk call`: earlier records are looked up with the call form's
/// matching first; a strong match stops a new child being made until the
/// caller says `--link CHILD_ID` or `--new-child`.
fn run_call(a: CallArgs, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let now = desk.now();
    let received_at = a
        .received_at
        .as_deref()
        .map(|s| instant("--received-at", s))
        .transpose()?;
    if a.link.is_some() && a.child_name.len() > 1 {
        return Err(DeskError::Invalid(
            "--link names the earlier record of one child; log siblings one call per child, \
             or link them from the call form"
                .into(),
        ));
    }
    let unknown = |n: &str| {
        n.trim().eq_ignore_ascii_case("unknown") || n.trim().eq_ignore_ascii_case("name not known")
    };
    let dob = a
        .dob
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .and_then(|d| crate::domain::time::parse_date(d).ok());
    // Possible earlier records of each child, as the call form shows them.
    let mut earlier: Vec<(usize, crate::desk::ChildMatch)> = Vec::new();
    if a.link.is_none() {
        for (i, n) in a.child_name.iter().enumerate() {
            let probe = Probe {
                name: (!unknown(n)).then(|| n.trim().to_string()),
                dob,
                address: Some(a.address.trim().to_string()).filter(|s| !s.is_empty()),
            };
            for m in desk.matches(&probe, 5)? {
                earlier.push((i, m));
            }
        }
    }
    let strong: Vec<&(usize, crate::desk::ChildMatch)> = earlier
        .iter()
        .filter(|(_, m)| matching::is_strong(&m.matched))
        .collect();
    if !strong.is_empty() && !a.new_child {
        print::earlier_records(&earlier, now).map_err(io)?;
        let ids: Vec<String> = strong.iter().map(|(_, m)| m.child.id.to_string()).collect();
        return Err(DeskError::Invalid(format!(
            "not logged: {} earlier record(s) match strongly (child {}); if this is that child \
             give --link CHILD_ID, if it is a different child give --new-child",
            strong.len(),
            ids.join(", ")
        )));
    }
    let people = a
        .person
        .iter()
        .map(|p| {
            Ok(crate::desk::CallPerson {
                person: crate::domain::household::PersonInput::parse_spec(p)?,
                link: None,
            })
        })
        .collect::<std::result::Result<Vec<_>, crate::domain::DomainError>>()?;
    let children = a
        .child_name
        .iter()
        .map(|n| ChildInput {
            name: if unknown(n) { None } else { Some(n.clone()) },
            dob: a.dob.clone(),
            address: Some(a.address.clone()),
            first_language: a.first_language.clone(),
            interpreter_needed: a.interpreter,
            existing_child_id: a.link,
            ..Default::default()
        })
        .collect();
    let out = exec(
        &mut desk,
        Command::LogCall(CallInput {
            children,
            concern: a.concern,
            deliberate_harm: a.deliberate_harm,
            possible_crime: a.possible_crime,
            referrer: ReferrerInput {
                name: a.referrer_name,
                relationship: a.referrer_relationship,
                source: a.source,
                address: a.referrer_address,
                phone: a.referrer_phone,
                email: a.referrer_email,
            },
            received_at,
            team: a.team,
            passed_verbally_to: a.passed_to.clone(),
            passed_late_reason: a.late_reason,
            draft_id: None,
            people,
        }),
    )?;
    print::call_logged(a.format, &out, &earlier, now).map_err(io)?;
    if let (Some(to), Outcome::CallLogged { referrals, .. }) = (&a.passed_to, &out) {
        for r in referrals {
            if let Some(p) = r
                .actions
                .iter()
                .find(|x| x.kind == ActionKind::PassToDuty && x.is_open())
            {
                eprintln!(
                    "dutydesk: referral {}: passed to {} after the hour, with no reason: its \
                     pass to duty is still open; record it with `dutydesk action pass {} --to {} \
                     --late-reason …`",
                    r.referral.id,
                    crate::domain::validate::inert(to),
                    p.id,
                    crate::domain::validate::inert(to)
                );
            }
        }
    }
    Ok(())
}

fn staff(cmd: StaffCmd, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    let out = match cmd {
        StaffCmd::List { team, format } => {
            let team_id = match &team {
                Some(t) => Some(desk.team_named(t)?.id),
                None => None,
            };
            let list = desk.staff(team_id)?;
            return print::staff(format, &list, desk.now()).map_err(io);
        }
        StaffCmd::Add {
            login,
            name,
            role,
            team,
        } => exec(
            &mut desk,
            Command::AddStaff {
                login,
                display_name: name,
                role: Role::parse(&role)?,
                team,
            },
        )?,
        StaffCmd::Set {
            login,
            name,
            role,
            team,
            active,
        } => exec(
            &mut desk,
            Command::SetStaff {
                login,
                display_name: name,
                role: role.as_deref().map(Role::parse).transpose()?,
                team,
                active,
            },
        )?,
        StaffCmd::Absent {
            login,
            from,
            until,
            note,
        } => {
            let from = match from {
                Some(f) => instant("--from", &f)?,
                None => desk.now(),
            };
            let until = until.map(|u| instant("--until", &u)).transpose()?;
            exec(
                &mut desk,
                Command::MarkAbsent {
                    login,
                    from,
                    until,
                    note,
                },
            )?
        }
        StaffCmd::Back { login } => exec(&mut desk, Command::ClearAbsence { login })?,
    };
    print::outcome(&out);
    Ok(())
}

fn io(e: std::io::Error) -> DeskError {
    DeskError::Store(crate::desk::StoreError::Io(e.to_string()))
}
