//! Supervision and management oversight (Rec 45; Kent questionnaire Q8): a
//! duty manager records on the referral what was discussed and what is to
//! happen, by when and by whom; each item can become an action point. The
//! referral shows when it was last overseen, and `oversight_due` lists the
//! open referrals not overseen in N working days.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::command::Outcome;
use super::{permit, staff_of, Desk, DeskError, Result};
use crate::domain::oversight::{self, OversightKind, ToHappen};
use crate::domain::permissions::Permission;
use crate::domain::time::{end_of_london_day, london_date};
use crate::domain::{Actor, ReferralState};
use crate::store::{self, NewEvent, OversightItem};

/// An open referral due oversight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OversightDue {
    pub referral_id: i64,
    pub child_id: i64,
    pub child: Option<String>,
    pub team: String,
    pub received_at: DateTime<Utc>,
    /// `null`: never overseen.
    pub last_overseen: Option<DateTime<Utc>>,
    /// Working days since it was last overseen (or received).
    pub working_days: u32,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    conn: &Connection,
    actor: &Actor,
    referral_id: i64,
    kind: OversightKind,
    discussed: &str,
    to_happen: &[ToHappen],
    now: DateTime<Utc>,
    ev: &dyn Fn(NewEvent) -> Result<i64>,
) -> Result<Outcome> {
    let me = staff_of(conn, actor)?;
    permit(&me, Permission::RecordOversight)?;
    let r = store::referral_by_id(conn, referral_id)?
        .ok_or_else(|| DeskError::NotFound(format!("no referral with id {referral_id}")))?;
    if r.state == ReferralState::Closed {
        return Err(DeskError::Invalid(format!(
            "referral {referral_id} is closed; oversight is recorded on open cases"
        )));
    }
    let (discussed, items) = oversight::check_note(discussed, to_happen, london_date(now))?;
    for t in &items {
        if let Some(o) = &t.owner {
            if t.make_action {
                super::handlers::check_action_point_owner(conn, o, now)?;
            } else if store::staff_by_login(conn, o)?.is_none() {
                return Err(DeskError::NotFound(format!(
                    "no staff member with login {o:?}"
                )));
            }
        }
    }
    let id = store::insert_oversight(conn, referral_id, kind, &me.login, now, &discussed)?;
    let mut made = Vec::new();
    for t in &items {
        let action_id = if t.make_action {
            let aid = super::handlers::add_action_point(
                conn,
                &r,
                &t.what,
                t.owner.as_deref(),
                end_of_london_day(t.by),
                kind.as_str(),
                json!({"oversight_id": id}),
                now,
                ev,
            )?;
            made.push(aid);
            Some(aid)
        } else {
            None
        };
        store::insert_oversight_item(
            conn,
            id,
            &OversightItem {
                what: t.what.clone(),
                owner: t.owner.clone(),
                by: t.by,
                action_id,
            },
        )?;
    }
    let plan = items
        .iter()
        .map(|t| {
            format!(
                "{} by {}{}",
                t.what,
                t.by.format("%d/%m/%Y"),
                t.owner
                    .as_deref()
                    .map(|o| format!(" ({o})"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    ev(NewEvent {
        kind: "oversight_recorded".into(),
        child_id: Some(r.child_id),
        referral_id: Some(r.id),
        summary: format!(
            "{} by {}: {discussed}{} (Rec 45)",
            kind.as_str(),
            me.login,
            if plan.is_empty() {
                String::new()
            } else {
                format!("; to happen: {plan}")
            }
        ),
        after: Some(
            json!({"oversight_id": id, "kind": kind, "discussed": discussed,
            "to_happen": items, "action_points": made}),
        ),
        significant: true,
        ..Default::default()
    })?;
    Ok(Outcome::Done {
        summary: format!(
            "{} recorded on referral {referral_id}{}",
            kind.as_str(),
            if made.is_empty() {
                String::new()
            } else {
                format!(
                    "; action point(s) {}",
                    made.iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ),
    })
}

impl Desk {
    /// Open referrals not overseen (or, never overseen, received) in `days`
    /// working days or more, longest first.
    pub fn oversight_due(
        &mut self,
        team_id: Option<i64>,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<OversightDue>> {
        self.gate(Permission::ReadOversight)?;
        self.store.read(|c| {
            let rules = super::settings::rules_in(c)?;
            let today = london_date(now);
            let mut out: Vec<OversightDue> = store::open_referrals_oversight(c, team_id)?
                .into_iter()
                .filter_map(|(referral_id, child_id, child, team, received_at, last)| {
                    let from = london_date(last.unwrap_or(received_at));
                    oversight::due(&rules.calendar, from, today, days).then(|| OversightDue {
                        referral_id,
                        child_id,
                        child,
                        team,
                        received_at,
                        last_overseen: last,
                        working_days: rules.calendar.working_days_between(from, today),
                    })
                })
                .collect();
            out.sort_by_key(|o| (std::cmp::Reverse(o.working_days), o.referral_id));
            Ok(out)
        })
    }
}
