-- dutydesk schema, version 1.
-- Instants are INTEGER seconds since the Unix epoch, UTC. Dates are TEXT
-- 'YYYY-MM-DD'. Codes are the CIN census codes; kinds and states are the stable
-- snake_case names of src/domain/model.rs.

CREATE TABLE teams (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    phone   TEXT,
    email   TEXT
) STRICT;

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('frontline','duty_worker','duty_manager','director')),
    team_id       INTEGER REFERENCES teams(id),
    absent_from   INTEGER,
    absent_until  INTEGER,
    absent_note   TEXT,
    active        INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE children (
    id                  INTEGER PRIMARY KEY,
    name                TEXT,            -- NULL: name not known
    dob                 TEXT,
    dob_approx_years    INTEGER,
    expected_date       TEXT,            -- unborn child
    address             TEXT,
    first_language      TEXT,
    interpreter_needed  INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL
) STRICT;

-- A call (contact). A draft holds the form as typed (JSON) until submitted.
CREATE TABLE calls (
    id                    INTEGER PRIMARY KEY,
    status                TEXT NOT NULL CHECK (status IN ('draft','submitted','abandoned')),
    started_at            INTEGER NOT NULL,
    taken_by              TEXT NOT NULL,
    team_id               INTEGER REFERENCES teams(id),
    draft_json            TEXT,
    draft_saved_at        INTEGER,
    concern               TEXT,
    deliberate_harm       INTEGER NOT NULL DEFAULT 0,
    possible_crime        INTEGER NOT NULL DEFAULT 0,
    referrer_name         TEXT,
    referrer_relationship TEXT,
    referrer_source       TEXT,
    referrer_address      TEXT,
    referrer_phone        TEXT,
    referrer_email        TEXT,
    passed_verbally_at    INTEGER,
    passed_verbally_to    TEXT,
    passed_verbally_by    TEXT,
    passed_writing_at     INTEGER,
    passed_writing_by     TEXT
) STRICT;
CREATE INDEX calls_drafts ON calls(taken_by, started_at) WHERE status = 'draft';

CREATE TABLE referrals (
    id               INTEGER PRIMARY KEY,
    call_id          INTEGER NOT NULL REFERENCES calls(id),
    child_id         INTEGER NOT NULL REFERENCES children(id),
    team_id          INTEGER NOT NULL REFERENCES teams(id),
    received_at      INTEGER NOT NULL,
    source           TEXT NOT NULL,
    professional     INTEGER NOT NULL,
    deliberate_harm  INTEGER NOT NULL DEFAULT 0,
    possible_crime   INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL,
    decision         TEXT,
    decision_note    TEXT,
    decided_at       INTEGER,
    decided_by       TEXT,
    primary_need     TEXT,
    abuse_category   TEXT,
    assessed_at      INTEGER,
    service_needed_at   INTEGER,
    service_provided_at INTEGER,
    closed_at        INTEGER,
    closed_by        TEXT,
    closure_reason   TEXT
) STRICT;
CREATE INDEX referrals_child ON referrals(child_id, received_at);
CREATE INDEX referrals_received ON referrals(received_at);
CREATE INDEX referrals_open ON referrals(team_id, state) WHERE state <> 'closed';

CREATE TABLE actions (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals(id),
    team_id      INTEGER NOT NULL REFERENCES teams(id),
    kind         TEXT NOT NULL,
    detail       TEXT,
    owner        TEXT REFERENCES staff(login),
    created_at   INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    done_at      INTEGER,
    done_by      TEXT,
    outcome      TEXT,
    late_reason  TEXT
) STRICT;
CREATE INDEX actions_open_due ON actions(due_at) WHERE done_at IS NULL;
CREATE INDEX actions_team_open ON actions(team_id, due_at, done_at) WHERE done_at IS NULL;
CREATE INDEX actions_owner_open ON actions(owner, due_at, done_at) WHERE done_at IS NULL;
CREATE INDEX actions_referral ON actions(referral_id);
CREATE INDEX actions_kind_due ON actions(kind, due_at);

-- Append-only: each event carries the hash of the one before it.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    real_login   TEXT NOT NULL,
    acting_login TEXT NOT NULL,
    kind         TEXT NOT NULL,
    child_id     INTEGER,
    referral_id  INTEGER,
    action_id    INTEGER,
    summary      TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    significant  INTEGER NOT NULL DEFAULT 0,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
) STRICT;
CREATE INDEX events_child ON events(child_id, id) WHERE child_id IS NOT NULL;
CREATE INDEX events_referral ON events(referral_id, id) WHERE referral_id IS NOT NULL;
CREATE INDEX events_actor ON events(acting_login, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: they cannot be changed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: they cannot be deleted'); END;

-- Re-referral search: trigram index over children's names and addresses.
CREATE VIRTUAL TABLE children_fts USING fts5(
    name, address, content='children', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER children_fts_ai AFTER INSERT ON children BEGIN
    INSERT INTO children_fts(rowid, name, address) VALUES (new.id, new.name, new.address);
END;
CREATE TRIGGER children_fts_ad AFTER DELETE ON children BEGIN
    INSERT INTO children_fts(children_fts, rowid, name, address) VALUES ('delete', old.id, old.name, old.address);
END;
CREATE TRIGGER children_fts_au AFTER UPDATE OF name, address ON children BEGIN
    INSERT INTO children_fts(children_fts, rowid, name, address) VALUES ('delete', old.id, old.name, old.address);
    INSERT INTO children_fts(rowid, name, address) VALUES (new.id, new.name, new.address);
END;
