//! `dutydesk referral person add|list|remove`: the household of a referral
//! (issue 16), each adult matched against earlier households and each
//! sibling against the children on file.

use clap::Subcommand;

use super::output::{print, Format, Table};
use super::{exec, io, open_client, print as outp, Env};
use crate::desk::{Command, DeskError};
use crate::domain::household::{MemberRole, PersonInput};
use crate::domain::time::fmt_short;
use crate::domain::validate::inert;

#[derive(Debug, Subcommand)]
pub enum PersonCmd {
    /// Add a person to the referral's household with their role. An adult is
    /// matched against the adults of earlier referrals, a sibling against the
    /// children on file; a strong match is not made someone new until you say
    /// which (--link ID) or that it is someone new (--new), as a call does for
    /// a child ("start again syndrome"). Their earlier involvement shows on
    /// `referral show`
    Add {
        /// The referral
        id: i64,
        #[arg(long)]
        name: String,
        /// parent_carer, other_adult, alleged_perpetrator, sibling (a child), other
        #[arg(long)]
        role: String,
        /// Date of birth, dd/mm/yyyy
        #[arg(long)]
        dob: Option<String>,
        #[arg(long)]
        address: Option<String>,
        /// Parental responsibility, for a parent or carer: yes, no, unknown [default: unknown]
        #[arg(long)]
        pr: Option<String>,
        /// The person already on file (a person's id; for a sibling, the child's)
        #[arg(long, conflicts_with = "new")]
        link: Option<i64>,
        /// Someone new, though an earlier record matches strongly
        #[arg(long)]
        new: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The referral's household: each person, role, parental responsibility,
    /// and their earlier involvement with why
    List {
        /// The referral
        id: i64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Why you open this record (logged; how a director opens a named record)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Mark someone removed from the household, with why (recorded in error,
    /// or left): the record keeps them
    Remove {
        /// The household member's id (from `person list`)
        member: i64,
        #[arg(long)]
        reason: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn json_or_text(format: Format, out: &crate::desk::Outcome) -> Result<(), DeskError> {
    match format {
        Format::Json => print(format, out, Table::default).map_err(io),
        _ => {
            outp::outcome(out);
            Ok(())
        }
    }
}

pub fn run_person(cmd: PersonCmd, env: &Env) -> Result<(), DeskError> {
    let mut desk = open_client(env)?;
    match cmd {
        PersonCmd::Add {
            id,
            name,
            role,
            dob,
            address,
            pr,
            link,
            new,
            format,
        } => {
            let out = exec(
                &mut desk,
                Command::AddHouseholdMember {
                    referral_id: id,
                    person: PersonInput {
                        name,
                        role: Some(MemberRole::parse(&role)?),
                        dob,
                        address,
                        pr,
                    },
                    link,
                    new,
                },
            )?;
            json_or_text(format, &out)
        }
        PersonCmd::Remove {
            member,
            reason,
            format,
        } => {
            let out = exec(
                &mut desk,
                Command::RemoveHouseholdMember {
                    member_id: member,
                    reason,
                },
            )?;
            json_or_text(format, &out)
        }
        PersonCmd::List { id, format, reason } => {
            let list = desk.household(id, reason)?;
            if format == Format::Table {
                if list.is_empty() {
                    println!("referral {id}: no household recorded");
                }
                for e in &list {
                    print!("{}", outp::household_entry(e, true));
                }
                return Ok(());
            }
            print(format, &list, || {
                let mut t = Table::new(&[
                    "member",
                    "name",
                    "role",
                    "parental responsibility",
                    "dob",
                    "address",
                    "removed",
                    "earlier",
                ]);
                for e in &list {
                    let m = &e.member;
                    t.row(vec![
                        m.id.to_string(),
                        inert(&m.name),
                        m.role.as_str().into(),
                        m.parental_responsibility
                            .map(|p| p.as_str().to_string())
                            .unwrap_or_default(),
                        m.dob
                            .map(|d| d.format("%d/%m/%Y").to_string())
                            .unwrap_or_default(),
                        inert(m.address.as_deref().unwrap_or("")),
                        m.removed_at.map(fmt_short).unwrap_or_default(),
                        e.earlier
                            .iter()
                            .map(|i| {
                                format!(
                                    "{} on referral {} ({})",
                                    i.involvement, i.referral_id, i.why
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; "),
                    ]);
                }
                t
            })
            .map_err(io)
        }
    }
}
