-- Children in Need census details (issue 10). Kept in their own tables, keyed
-- by the child and the referral, so the call form and the core rows stay as
-- they are. Codes are the DfE CIN census codes (src/domain/census.rs); dates
-- are TEXT 'YYYY-MM-DD' (London dates, as the census reports them).

CREATE TABLE child_census (
    child_id      INTEGER PRIMARY KEY REFERENCES children(id),
    sex           TEXT CHECK (sex IN ('M','F','U')),
    ethnicity     TEXT,
    disabilities  TEXT,            -- comma-separated codes; 'NONE' for none
    upn           TEXT,
    upn_unknown   TEXT,            -- UN1..UN10 when there is no UPN
    death_date    TEXT,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE referral_census (
    referral_id            INTEGER PRIMARY KEY REFERENCES referrals(id),
    assessment_start       TEXT,
    assessment_authorised  TEXT,
    assessment_factors     TEXT,   -- comma-separated factor codes
    s47_start              TEXT,
    icpc_target            TEXT,
    icpc_date              TEXT,
    icpc_not_required      INTEGER NOT NULL DEFAULT 0,
    updated_at             INTEGER NOT NULL
) STRICT;

-- The census selects referrals open at any time in a year.
CREATE INDEX referrals_closed ON referrals(closed_at);
