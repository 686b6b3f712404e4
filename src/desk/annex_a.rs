//! Ofsted's Annex A lists this desk holds (contacts, referrals, assessments,
//! section 47 enquiries and conferences) for a period, for the roles allowed
//! the census (the same child-level data: `Permission::ExportCensus`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Desk, DeskError, Result};
use crate::domain::annex_a::{self, DeskFacts, List};
use crate::domain::permissions::Permission;
use crate::domain::time::{end_of_london_day, london_date};
use crate::domain::ReferralState;
use crate::store::{self, census as cstore};

/// One Annex A list for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnexA {
    /// Annex A's number for the list (1, 3, 4 or 5).
    pub list: u32,
    pub title: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Desk {
    /// One Annex A list for `from..=to` (London days; default the six months
    /// to today).
    pub fn annex_a(
        &mut self,
        list: List,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<AnnexA> {
        self.gate(Permission::ExportCensus)?;
        let (dfrom, dto) = annex_a::default_period(london_date(now));
        let to = to.unwrap_or(dto);
        let from = from.unwrap_or(if to == dto {
            dfrom
        } else {
            annex_a::default_period(to).0
        });
        if from > to {
            return Err(DeskError::Invalid(format!(
                "the period starts ({}) after it ends ({})",
                from.format("%d/%m/%Y"),
                to.format("%d/%m/%Y")
            )));
        }
        let start = end_of_london_day(from - chrono::Days::new(1)) + Duration::seconds(1);
        let end = end_of_london_day(to);
        let (children, facts) = self.store.read(|c| {
            let children = super::census::build(&cstore::census_rows(c, start, end)?);
            let facts: HashMap<i64, DeskFacts> = store::annex_a_facts(c, start, end)?
                .into_iter()
                .map(|(id, team, worker, state, child_seen)| {
                    (
                        id,
                        DeskFacts {
                            team,
                            worker,
                            state: ReferralState::parse(&state).ok(),
                            child_seen,
                        },
                    )
                })
                .collect();
            Ok::<_, DeskError>((children, facts))
        })?;
        Ok(AnnexA {
            list: list.number(),
            title: list.title().to_string(),
            from,
            to,
            headings: list.headings().iter().map(|h| h.to_string()).collect(),
            rows: annex_a::rows(list, &children, &facts, from, to),
        })
    }
}
