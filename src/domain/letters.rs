//! Letters to referrers and the words of written confirmation (Rec 21).
//!
//! Two letters: the acknowledgement of a referral (Rec 21 action plan:
//! "acknowledgement to referrers introduced") and the written feedback on the
//! action taken (Haringey JAR 14; Kent questionnaire Q3). Each is a Markdown
//! template with `{{placeholder}}`s, filled from [`LetterFacts`]. The facts
//! hold only what the referrer may see: this referral's child and decision,
//! never other children on the same call, never the concern text of any
//! referral. Pure: no I/O (the CLI reads any overriding template file).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::time::{fmt_long, to_london};
use super::validate::preview;
use super::{Decision, DomainError};

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($var:ident => $s:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($var),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The stable snake_case name used in the database and in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }

            /// Words for a person.
            pub fn label(self) -> &'static str {
                match self { $($name::$var => $label),+ }
            }

            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let t = s.trim().to_ascii_lowercase().replace('-', "_");
                $(if t == $s { return Ok($name::$var); })+
                Err(DomainError::Invalid(format!(
                    "{} {:?} is not known; use one of: {}",
                    $what,
                    preview(s),
                    [$($s),+].join(", ")
                )))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// How a referrer's written confirmation arrived (Rec 21).
    ConfirmationMethod, "confirmation method", {
    Letter => "letter", "letter";
    Email => "email", "email";
    SecureEmail => "secure_email", "secure email";
    ReferralForm => "referral_form", "referral form";
    Portal => "portal", "online portal";
});

word_enum!(
    /// How a referrer was chased for their written confirmation.
    ChaseMethod, "chase method", {
    Phone => "phone", "phone";
    Email => "email", "email";
});

word_enum!(
    /// Which letter to a referrer.
    LetterKind, "letter", {
    Acknowledgement => "acknowledgement", "acknowledgement of the referral";
    Feedback => "feedback", "feedback on the action taken";
});

word_enum!(
    /// How a letter went to the referrer.
    SendMethod, "send method", {
    Letter => "letter", "post";
    Email => "email", "email";
    SecureEmail => "secure_email", "secure email";
    Portal => "portal", "online portal";
});

/// The built-in acknowledgement template (overridable by
/// `<config dir>/templates/acknowledgement.md`).
pub const DEFAULT_ACKNOWLEDGEMENT: &str = include_str!("letters/acknowledgement.md");
/// The built-in feedback template (overridable by
/// `<config dir>/templates/feedback.md`).
pub const DEFAULT_FEEDBACK: &str = include_str!("letters/feedback.md");

impl LetterKind {
    /// The built-in template.
    pub fn default_template(self) -> &'static str {
        match self {
            LetterKind::Acknowledgement => DEFAULT_ACKNOWLEDGEMENT,
            LetterKind::Feedback => DEFAULT_FEEDBACK,
        }
    }

    /// The file name of an overriding template in `<config dir>/templates/`.
    pub fn template_file(self) -> &'static str {
        match self {
            LetterKind::Acknowledgement => "acknowledgement.md",
            LetterKind::Feedback => "feedback.md",
        }
    }
}

/// Where the referrer stands on written confirmation, for the acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ConfirmationStatus {
    /// Not a professional referral: no written confirmation is asked for.
    NotNeeded,
    Awaiting {
        due_at: DateTime<Utc>,
    },
    Received {
        at: DateTime<Utc>,
    },
}

/// Everything a letter may say. Build it from one referral only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LetterFacts {
    pub referral_id: i64,
    /// This referral's child only (`None`: name not known).
    pub child_name: Option<String>,
    pub received_at: DateTime<Utc>,
    pub referrer_name: Option<String>,
    pub referrer_agency: Option<String>,
    pub decision: Option<Decision>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The worker responsible for the referral (allocated, else the writer).
    pub worker_name: String,
    /// Who signs the letter.
    pub signed_by: String,
    pub team_name: String,
    pub team_phone: Option<String>,
    pub team_email: Option<String>,
    pub confirmation: ConfirmationStatus,
    /// The date the letter carries (London).
    pub letter_date: NaiveDate,
}

/// Every placeholder a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "referral_id",
    "child_name",
    "received_date",
    "referrer_name",
    "referrer_agency",
    "decision",
    "decision_date",
    "decision_explained",
    "worker_name",
    "signed_by",
    "team_name",
    "team_phone",
    "team_email",
    "confirmation_line",
    "letter_date",
];

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// Plain words for what a decision means to the referrer.
pub fn decision_explained(d: Decision) -> &'static str {
    match d {
        Decision::Nfa => {
            "Children's social care will take no further action at this time. This does not \
             stop you, or anyone else, making a new referral if you are worried about the child."
        }
        Decision::Advice => {
            "Advice and information have been given. Children's social care will take no \
             further action at this time."
        }
        Decision::OtherAgency => {
            "The referral has been passed to another agency that is better placed to help. \
             That agency will contact the family."
        }
        Decision::Assessment => {
            "A social worker will assess the child's needs and may contact you for your \
             views as part of the assessment."
        }
        Decision::S47 => {
            "A strategy discussion is being held and enquiries are being made under section 47 \
             of the Children Act 1989. A social worker may contact you for information."
        }
    }
}

impl LetterFacts {
    /// The value of one placeholder, or `None` for an unknown name.
    pub fn value(&self, name: &str) -> Option<String> {
        let or = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_string());
        Some(match name {
            "referral_id" => self.referral_id.to_string(),
            "child_name" => or(&self.child_name, "the child (name not known to us)"),
            "received_date" => long_date(to_london(self.received_at).date_naive()),
            "referrer_name" => or(&self.referrer_name, "colleague"),
            "referrer_agency" => or(&self.referrer_agency, "your agency"),
            "decision" => self
                .decision
                .map(|d| d.label().to_string())
                .unwrap_or_else(|| "not yet made".into()),
            "decision_date" => self
                .decided_at
                .map(|t| long_date(to_london(t).date_naive()))
                .unwrap_or_else(|| "(not yet decided)".into()),
            "decision_explained" => self
                .decision
                .map(|d| decision_explained(d).to_string())
                .unwrap_or_default(),
            "worker_name" => self.worker_name.clone(),
            "signed_by" => self.signed_by.clone(),
            "team_name" => self.team_name.clone(),
            "team_phone" => or(&self.team_phone, "(see our website)"),
            "team_email" => or(&self.team_email, "(see our website)"),
            "confirmation_line" => match self.confirmation {
                ConfirmationStatus::NotNeeded => String::new(),
                ConfirmationStatus::Awaiting { due_at } => format!(
                    "As a professional referrer, please confirm your referral in writing by \
                     {} if you have not already done so (Victoria Climbié Inquiry, \
                     Recommendation 21).",
                    fmt_long(due_at)
                ),
                ConfirmationStatus::Received { at } => format!(
                    "We received your written confirmation on {}. Thank you.",
                    long_date(to_london(at).date_naive())
                ),
            },
            "letter_date" => long_date(self.letter_date),
            _ => return None,
        })
    }
}

/// Fills `{{name}}` placeholders (spaces inside the braces allowed) in one
/// pass: values are never scanned again, so record text cannot inject a
/// placeholder, and each value is escaped ([`super::markdown::text`]) so a
/// name or agency cannot carry Markdown or HTML into the letter. An unknown or unclosed placeholder is refused with its name
/// and line, so a mistyped override template fails loudly.
pub fn render(template: &str, facts: &LetterFacts) -> Result<String, DomainError> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let line = template[..template.len() - rest.len() + start]
            .matches('\n')
            .count()
            + 1;
        let Some(end) = after.find("}}") else {
            return Err(DomainError::Invalid(format!(
                "letter template line {line}: \"{{{{\" is not closed with \"}}}}\""
            )));
        };
        let name = after[..end].trim();
        match facts.value(name) {
            // The value as text, never as markup (the template's own
            // Markdown is kept).
            Some(v) => out.push_str(&super::markdown::text(&v)),
            None => {
                return Err(DomainError::Invalid(format!(
                    "letter template line {line}: {{{{{}}}}} is not a known placeholder; \
                     use one of: {}",
                    preview(name),
                    PLACEHOLDERS.join(", ")
                )))
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    // Blank placeholders (no confirmation line) leave runs of blank lines.
    let mut tidy = String::with_capacity(out.len());
    let mut blank = 0;
    for l in out.lines() {
        if l.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        tidy.push_str(l.trim_end());
        tidy.push('\n');
    }
    Ok(tidy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn facts() -> LetterFacts {
        LetterFacts {
            referral_id: 42,
            child_name: Some("Amara Osei".into()),
            received_at: utc("2026-11-20T15:00:00Z"),
            referrer_name: Some("Ms Rivers".into()),
            referrer_agency: Some("Hillside Primary".into()),
            decision: Some(Decision::Assessment),
            decided_at: utc("2026-11-23T10:00:00Z").into(),
            worker_name: "Jo Patel".into(),
            signed_by: "Helen Bell".into(),
            team_name: "Duty and Assessment".into(),
            team_phone: Some("020 7946 0000".into()),
            team_email: None,
            confirmation: ConfirmationStatus::Awaiting {
                due_at: utc("2026-11-22T15:00:00Z"),
            },
            letter_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        }
    }

    #[test]
    fn default_templates_use_only_known_placeholders() {
        for k in LetterKind::ALL {
            let text = render(k.default_template(), &facts()).unwrap();
            assert!(!text.contains("{{"), "{text}");
            assert!(text.contains("42"));
            assert!(text.contains("Amara Osei"));
            assert!(text.contains("020 7946 0000"));
        }
    }

    #[test]
    fn feedback_names_the_decision_and_the_worker() {
        let text = render(DEFAULT_FEEDBACK, &facts()).unwrap();
        assert!(text.contains("**assessment**"), "{text}");
        assert!(text.contains(decision_explained(Decision::Assessment)));
        assert!(text.contains("Jo Patel"));
        assert!(text.contains("23 November 2026"));
        assert!(text.contains("20 November 2026"));
    }

    #[test]
    fn acknowledgement_asks_for_confirmation_only_while_awaited() {
        let mut f = facts();
        let text = render(DEFAULT_ACKNOWLEDGEMENT, &f).unwrap();
        assert!(text.contains("Sun 22 Nov 2026 15:00 GMT"), "{text}");
        f.confirmation = ConfirmationStatus::NotNeeded;
        let text = render(DEFAULT_ACKNOWLEDGEMENT, &f).unwrap();
        assert!(!text.contains("confirm your referral"));
        assert!(!text.contains("\n\n\n"), "{text}");
    }

    #[test]
    fn values_are_not_expanded_again() {
        let mut f = facts();
        f.child_name = Some("{{team_phone}}".into());
        assert_eq!(
            render("x {{ child_name }} y", &f).unwrap(),
            "x {{team\\_phone}} y\n"
        );
    }

    #[test]
    fn values_cannot_carry_markup_into_the_letter() {
        let mut f = facts();
        f.referrer_name = Some("<script>alert(1)</script> [click](http://evil.example)".into());
        f.referrer_agency = Some("# Urgent\n- a list".into());
        let t = render(
            "# Referral {{referral_id}}\n\nDear {{referrer_name}},\n{{referrer_agency}}\n",
            &f,
        )
        .unwrap();
        assert_eq!(
            t,
            "# Referral 42\n\nDear &lt;script&gt;alert(1)&lt;/script&gt; \\[click\\](http://evil.example),\n\\# Urgent\n\\- a list\n"
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_refused_with_the_line() {
        let e = render("a\nb {{concern}}", &facts())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("concern"), "{e}");
        let e = render("{{child_name", &facts()).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("not closed"), "{e}");
    }

    #[test]
    fn missing_details_read_naturally() {
        let mut f = facts();
        f.child_name = None;
        f.referrer_name = None;
        let t = render("Dear {{referrer_name}}, about {{child_name}}.", &f).unwrap();
        assert_eq!(
            t,
            "Dear colleague, about the child (name not known to us).\n"
        );
    }

    #[test]
    fn words_round_trip() {
        for m in ConfirmationMethod::ALL {
            assert_eq!(ConfirmationMethod::parse(m.as_str()).unwrap(), *m);
        }
        assert_eq!(
            ConfirmationMethod::parse("Secure-Email").unwrap(),
            ConfirmationMethod::SecureEmail
        );
        assert!(ChaseMethod::parse("fax").is_err());
    }
}
