-- dutydesk schema: allocation, caseloads and management oversight (issue 17).
--
-- allocations: a referral allocated whole to a named worker by a duty manager,
-- with what is expected, by when, and when it is reviewed (Rec 53). A worker
-- sees it as new until they accept it. Re-allocating ends the current row
-- (ended_at) and adds another, so the history of who held a case stays.
-- Dates are London days, TEXT 'YYYY-MM-DD'; instants are UTC seconds.

CREATE TABLE allocations (
    id            INTEGER PRIMARY KEY,
    referral_id   INTEGER NOT NULL REFERENCES referrals(id),
    worker        TEXT NOT NULL REFERENCES staff(login),
    allocated_by  TEXT NOT NULL,
    allocated_at  INTEGER NOT NULL,
    expected      TEXT NOT NULL CHECK (length(expected) BETWEEN 1 AND 20000),
    due_by        TEXT NOT NULL CHECK (due_by GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    review_on     TEXT NOT NULL CHECK (review_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    -- Why a manager holds the case (Kent Q4: managers should not hold cases
    -- pending allocation to a social worker); NULL for a worker.
    manager_reason TEXT,
    accepted_at   INTEGER,
    ended_at      INTEGER,
    ended_by      TEXT,
    CHECK (ended_at IS NULL OR ended_at >= allocated_at),
    CHECK (accepted_at IS NULL OR accepted_at >= allocated_at)
) STRICT;
-- One current allocation per referral.
CREATE UNIQUE INDEX allocations_current ON allocations(referral_id) WHERE ended_at IS NULL;
-- Caseloads: the current allocations of each worker.
CREATE INDEX allocations_worker ON allocations(worker, referral_id) WHERE ended_at IS NULL;

-- The desk's settings gain the caseload ceiling (Rec 52) and the case-audit
-- checklist (Rec 30):
--   caseload.ceiling              open cases per worker, every team
--   caseload.ceiling.team.<id>    the same for one team
--   audit.checklist.<1-9>         one question of the case-audit checklist
-- The table is rebuilt with the wider key check (SQLite cannot change a
-- CHECK in place), keeping migration 0010's keys; rows are copied as they
-- are, with the row ids migration 0011 gave them (the seals need them).
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
               OR key GLOB 'audit.checklist.[1-9]'),
    value  TEXT NOT NULL CHECK (length(value) <= 100),
    CHECK (key NOT GLOB 'calendar.*' OR value = ''),
    CHECK (key NOT GLOB 'caseload.*' OR (value GLOB '[1-9]*' AND value NOT GLOB '*[^0-9]*'))
) STRICT;
INSERT INTO settings_new (id, key, value) SELECT id, key, value FROM settings;
DROP TABLE settings;
ALTER TABLE settings_new RENAME TO settings;

-- authorisations: an assessment outcome or a decision of no further action,
-- proposed by a worker, takes effect only when a duty manager authorises it
-- (Rec 25); until then the referral is awaiting authorisation. A manager may
-- send it back with a reason instead. One awaiting proposal per referral.
CREATE TABLE authorisations (
    id             INTEGER PRIMARY KEY,
    referral_id    INTEGER NOT NULL REFERENCES referrals(id),
    kind           TEXT NOT NULL CHECK (kind IN ('assessment_outcome', 'nfa_decision')),
    outcome        TEXT CHECK (outcome IN ('no_service', 'service_needed')),
    note           TEXT,
    proposed_by    TEXT NOT NULL,
    proposed_at    INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'awaiting'
                   CHECK (status IN ('awaiting', 'authorised', 'returned')),
    decided_by     TEXT,
    decided_at     INTEGER,
    decision_note  TEXT,
    -- Rec 25: the manager made sure the child and carer were seen and spoken to.
    child_and_carer_seen INTEGER CHECK (child_and_carer_seen IN (0, 1)),
    CHECK ((kind = 'assessment_outcome') = (outcome IS NOT NULL)),
    CHECK ((status = 'awaiting') = (decided_at IS NULL))
) STRICT;
CREATE UNIQUE INDEX authorisations_awaiting ON authorisations(referral_id)
    WHERE status = 'awaiting';
CREATE INDEX authorisations_decided ON authorisations(decided_at) WHERE decided_at IS NOT NULL;

-- transfers: a referral moves to another team only when that team's duty
-- manager accepts it (Rec 42: no case transferred without the receiving team
-- taking it on). Until then it stays with its team, its clocks running, and
-- both teams (and their handovers) see it as in transfer.
CREATE TABLE transfers (
    id             INTEGER PRIMARY KEY,
    referral_id    INTEGER NOT NULL REFERENCES referrals(id),
    from_team_id   INTEGER NOT NULL REFERENCES teams(id),
    to_team_id     INTEGER NOT NULL REFERENCES teams(id),
    requested_by   TEXT NOT NULL,
    requested_at   INTEGER NOT NULL,
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 20000),
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    decided_by     TEXT,
    decided_at     INTEGER,
    decision_note  TEXT,
    CHECK (from_team_id <> to_team_id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
) STRICT;
CREATE UNIQUE INDEX transfers_pending ON transfers(referral_id) WHERE status = 'pending';
CREATE INDEX transfers_pending_teams ON transfers(from_team_id, to_team_id) WHERE status = 'pending';

-- oversight: a duty manager's supervision or management oversight of a
-- referral (Rec 45; Kent Q8): what was discussed, and what is to happen, by
-- when and by whom; each item may become an action point on the referral.
CREATE TABLE oversight_notes (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals(id),
    kind         TEXT NOT NULL CHECK (kind IN ('supervision', 'oversight')),
    recorded_by  TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL,
    discussed    TEXT NOT NULL CHECK (length(discussed) BETWEEN 1 AND 20000)
) STRICT;
CREATE INDEX oversight_referral ON oversight_notes(referral_id, recorded_at);

CREATE TABLE oversight_items (
    id         INTEGER PRIMARY KEY,
    note_id    INTEGER NOT NULL REFERENCES oversight_notes(id),
    what       TEXT NOT NULL CHECK (length(what) BETWEEN 1 AND 20000),
    owner      TEXT REFERENCES staff(login),
    due_by     TEXT NOT NULL CHECK (due_by GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    -- The action point made from it, when one was.
    action_id  INTEGER REFERENCES actions(id)
) STRICT;
CREATE INDEX oversight_items_note ON oversight_items(note_id);

-- case_audits: a duty manager's audit of one closed or no-further-action
-- referral of a month's sample (Rec 30; Derby 4), against the checklist in
-- force: each question answered yes, no or not applicable, as JSON
-- [{"question": "...", "answer": "yes"}], and a note.
CREATE TABLE case_audits (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals(id),
    month        TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    auditor      TEXT NOT NULL,
    audited_at   INTEGER NOT NULL,
    answers      TEXT NOT NULL,
    note         TEXT
) STRICT;
CREATE UNIQUE INDEX case_audits_once ON case_audits(referral_id, month);
CREATE INDEX case_audits_month ON case_audits(month);
