-- dutydesk schema: screening and urgency, agency checks and consent,
-- escalation to section 47 (issue 16 part A).
--
-- referrals.urgency / referrals.need_level: the referral's current RAG
-- urgency and level of need (the last screening's), for the queue's filter
-- and sort; screenings keeps every screening (history: the chronology shows
-- each). Instants are UTC seconds.

ALTER TABLE referrals ADD COLUMN urgency TEXT
    CHECK (urgency IS NULL OR urgency IN ('red', 'amber', 'green'));
ALTER TABLE referrals ADD COLUMN need_level INTEGER
    CHECK (need_level IS NULL OR need_level BETWEEN 1 AND 9);
-- The queue's urgency filter and sort: the screened open referrals.
CREATE INDEX referrals_urgency ON referrals(urgency, id)
    WHERE urgency IS NOT NULL AND state <> 'closed';

CREATE TABLE screenings (
    id             INTEGER PRIMARY KEY,
    referral_id    INTEGER NOT NULL REFERENCES referrals(id),
    urgency        TEXT NOT NULL CHECK (urgency IN ('red', 'amber', 'green')),
    need_level     INTEGER NOT NULL CHECK (need_level BETWEEN 1 AND 9),
    -- The level's name in the settings when it was screened.
    need_name      TEXT NOT NULL CHECK (length(need_name) BETWEEN 1 AND 100),
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 20000),
    screened_by    TEXT NOT NULL,
    screened_at    INTEGER NOT NULL,
    -- The open decision's deadline before and after (NULL: no open decision).
    decision_due_before INTEGER,
    decision_due_after  INTEGER,
    CHECK (decision_due_after IS NULL OR decision_due_after <= decision_due_before)
) STRICT;
CREATE INDEX screenings_referral ON screenings(referral_id, screened_at);

-- agency_checks: one per agency a screening checks with (Rec 34), each with
-- its agency_check action (owner, due, ending) and the agency's response:
-- nothing known, or what it shared and who gave it.
CREATE TABLE agency_checks (
    id             INTEGER PRIMARY KEY,
    referral_id    INTEGER NOT NULL REFERENCES referrals(id),
    action_id      INTEGER NOT NULL UNIQUE REFERENCES actions(id),
    screening_id   INTEGER REFERENCES screenings(id),
    agency         TEXT NOT NULL CHECK (length(agency) BETWEEN 1 AND 100),
    response       TEXT CHECK (response IS NULL OR response IN ('nothing_known', 'shared')),
    shared         TEXT CHECK (shared IS NULL OR length(shared) BETWEEN 1 AND 20000),
    given_by       TEXT,
    responded_at   INTEGER,
    recorded_by    TEXT,
    CHECK ((response IS NULL) = (responded_at IS NULL)),
    CHECK ((response = 'shared') IS (shared IS NOT NULL AND given_by IS NOT NULL)
           OR response IS NULL)
) STRICT;
CREATE INDEX agency_checks_referral ON agency_checks(referral_id, id);

-- consents: consent to share information, as recorded (history kept): given,
-- refused, or overridden because of risk to the child with the reason; who
-- decided is the member of staff who recorded it.
CREATE TABLE consents (
    id            INTEGER PRIMARY KEY,
    referral_id   INTEGER NOT NULL REFERENCES referrals(id),
    status        TEXT NOT NULL CHECK (status IN ('given', 'refused', 'overridden')),
    reason        TEXT CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 20000),
    decided_by    TEXT NOT NULL,
    decided_at    INTEGER NOT NULL,
    CHECK (status <> 'overridden' OR reason IS NOT NULL)
) STRICT;
CREATE INDEX consents_referral ON consents(referral_id, decided_at);

-- escalations: a referral in assessment escalated to a strategy discussion
-- and section 47 enquiry; the first decision stays (from_decision, and its
-- event in the chronology), the section 47 clocks run from escalated_at.
CREATE TABLE escalations (
    id             INTEGER PRIMARY KEY,
    referral_id    INTEGER NOT NULL REFERENCES referrals(id),
    from_state     TEXT NOT NULL,
    from_decision  TEXT,
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 20000),
    escalated_by   TEXT NOT NULL,
    escalated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX escalations_referral ON escalations(referral_id);

-- The desk's settings gain the screening clocks, the levels of need, the
-- agencies checked and their clocks:
--   screening.red|amber|green      the decision's clock under that urgency
--   need.level.<1-9>               the continuum of need
--   checks.agency.<1-9>            the agencies checked (Rec 34)
--   checks.clock.red|amber|green   each check's clock under that urgency
-- The table is rebuilt with the wider key check, keeping every key 0013
-- allowed; rows keep their row ids (the seals need them).
CREATE TABLE settings_new (
    id     INTEGER PRIMARY KEY,
    key    TEXT NOT NULL UNIQUE CHECK (
               key = 'timescales.profile'
               OR (key GLOB 'timescales.override.[a-z]*' AND key NOT GLOB '*[^a-z_.]*')
               OR key GLOB 'calendar.closure.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key GLOB 'calendar.not_holiday.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key GLOB 'calendar.bank_holiday.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key = 'caseload.ceiling'
               OR (key GLOB 'caseload.ceiling.team.[1-9]*'
                   AND substr(key, 23) NOT GLOB '*[^0-9]*')
               OR key GLOB 'audit.checklist.[1-9]'
               OR key IN ('screening.red', 'screening.amber', 'screening.green',
                          'checks.clock.red', 'checks.clock.amber', 'checks.clock.green')
               OR key GLOB 'need.level.[1-9]'
               OR key GLOB 'checks.agency.[1-9]'),
    value  TEXT NOT NULL CHECK (length(value) <= 100),
    CHECK (key NOT GLOB 'calendar.*' OR value = ''),
    CHECK (key NOT GLOB 'caseload.*' OR (value GLOB '[1-9]*' AND value NOT GLOB '*[^0-9]*'))
) STRICT;
INSERT INTO settings_new (id, key, value) SELECT id, key, value FROM settings;
DROP TABLE settings;
ALTER TABLE settings_new RENAME TO settings;
