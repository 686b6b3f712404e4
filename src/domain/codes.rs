//! National codes of the Children in Need (CIN) census, so figures and exports
//! line up with the statutory return.

use serde::{Deserialize, Serialize};

use super::DomainError;

code_enum!(
    /// CIN referral source.
    ReferralSource, "referral source", {
    Family => "1A", "Individual: family member/relative/carer";
    Acquaintance => "1B", "Individual: acquaintance (including neighbours and child minders)";
    SelfReferral => "1C", "Individual: self";
    OtherIndividual => "1D", "Individual: other (including strangers, MPs)";
    School => "2A", "Education services: schools";
    EducationServices => "2B", "Education services: other education services";
    Gp => "3A", "Health services: GP";
    HealthVisitor => "3B", "Health services: health visitor";
    SchoolNurse => "3C", "Health services: school nurse";
    OtherPrimaryHealth => "3D", "Health services: other primary health services";
    AccidentEmergency => "3E", "Health services: A&E (emergency department)";
    OtherHealth => "3F", "Health services: other (e.g. hospice)";
    Housing => "4", "Housing (LA housing or housing association)";
    LaSocialCare => "5A", "LA services: social care (e.g. adults social care)";
    OtherInternal => "5B", "LA services: other internal department";
    AnotherLa => "5C", "LA services: another local authority's children's social care";
    EarlyHelp => "5D", "LA services: early help";
    Police => "6", "Police";
    OtherLegal => "7", "Other legal agency (including courts, probation, immigration, CAFCASS, prison)";
    Other => "8", "Other";
    Anonymous => "9", "Anonymous";
    Unknown => "10", "Unknown";
});

impl ReferralSource {
    /// A referrer is professional when the source is 2A–7 (Rec 21: they must
    /// confirm in writing within 48 hours).
    pub fn is_professional(self) -> bool {
        use ReferralSource::*;
        matches!(
            self,
            School
                | EducationServices
                | Gp
                | HealthVisitor
                | SchoolNurse
                | OtherPrimaryHealth
                | AccidentEmergency
                | OtherHealth
                | Housing
                | LaSocialCare
                | OtherInternal
                | AnotherLa
                | EarlyHelp
                | Police
                | OtherLegal
        )
    }

    /// Whether there is somebody to send written feedback to (HJAR 14, Kent Q3).
    pub fn has_identifiable_referrer(self) -> bool {
        !matches!(self, ReferralSource::Anonymous | ReferralSource::Unknown)
    }
}

code_enum!(
    /// CIN reason for closure.
    ClosureReason, "closure reason", {
    Adopted => "RC1", "Adopted";
    Died => "RC2", "Died";
    ChildArrangementsOrder => "RC3", "Child arrangements order";
    SpecialGuardianshipOrder => "RC4", "Special guardianship order";
    TransferredToAnotherLa => "RC5", "Transferred to services of another local authority";
    TransferredToAdultServices => "RC6", "Transferred to adult social care";
    ServicesCeased => "RC7", "Services ceased for any other reason, including child no longer in need";
    NfaAfterAssessment => "RC8", "Case closed after assessment, no further action";
    EarlyHelpAfterAssessment => "RC9", "Case closed after assessment, referred to early help";
});

code_enum!(
    /// CIN primary need.
    PrimaryNeed, "primary need", {
    NotStated => "N0", "Not stated";
    AbuseOrNeglect => "N1", "Abuse or neglect";
    ChildDisability => "N2", "Child's disability or illness";
    ParentalDisability => "N3", "Parent's disability or illness";
    AcuteStress => "N4", "Family in acute stress";
    Dysfunction => "N5", "Family dysfunction";
    Behaviour => "N6", "Socially unacceptable behaviour";
    LowIncome => "N7", "Low income";
    AbsentParenting => "N8", "Absent parenting";
    NotInNeed => "N9", "Cases other than children in need";
});

code_enum!(
    /// CIN category of abuse (child protection plans).
    AbuseCategory, "category of abuse", {
    Neglect => "NEG", "Neglect";
    Physical => "PHY", "Physical abuse";
    Sexual => "SAB", "Sexual abuse";
    Emotional => "EMO", "Emotional abuse";
    Multiple => "MUL", "Multiple";
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn professional_sources_are_2a_to_7() {
        let pro: Vec<&str> = ReferralSource::ALL
            .iter()
            .filter(|s| s.is_professional())
            .map(|s| s.code())
            .collect();
        assert_eq!(
            pro,
            [
                "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C", "5D", "6",
                "7"
            ]
        );
    }

    #[test]
    fn codes_round_trip_and_bad_codes_are_refused() {
        for s in ReferralSource::ALL {
            assert_eq!(ReferralSource::parse(s.code()).unwrap(), *s);
        }
        assert_eq!(
            ReferralSource::parse(" 2a ").unwrap(),
            ReferralSource::School
        );
        assert_eq!(
            ClosureReason::parse("rc8").unwrap(),
            ClosureReason::NfaAfterAssessment
        );
        let err = ReferralSource::parse("2Z").unwrap_err().to_string();
        assert!(err.contains("2Z") && err.contains("1A"), "{err}");
        assert!(ClosureReason::parse("RC10").is_err());
        assert!(PrimaryNeed::parse("N10").is_err());
    }
}
