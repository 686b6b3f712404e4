-- dutydesk schema: the household and strategy discussions (issue 16 part B).
--
-- people: an adult (or anyone not a child) known to the desk, matched
-- against earlier records the way a child is. The person's name, date of
-- birth and address as recorded on each referral stay on that referral's
-- household row: an adult who moves keeps one identity and each address.
CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
) STRICT;

-- household_members: a person linked to a referral with their role (a
-- sibling is a child: linked to a children row). Never deleted: removing
-- someone records when, by whom and why.
CREATE TABLE household_members (
    id            INTEGER PRIMARY KEY,
    referral_id   INTEGER NOT NULL REFERENCES referrals(id),
    role          TEXT NOT NULL CHECK (role IN
                  ('parent_carer', 'other_adult', 'alleged_perpetrator', 'sibling', 'other')),
    person_id     INTEGER REFERENCES people(id),
    child_id      INTEGER REFERENCES children(id),
    -- Parental responsibility, for a parent or carer only.
    parental_responsibility TEXT CHECK (parental_responsibility IN ('yes', 'no', 'unknown')),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    dob           TEXT CHECK (dob IS NULL OR dob GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    address       TEXT,
    added_by      TEXT NOT NULL,
    added_at      INTEGER NOT NULL,
    removed_at    INTEGER,
    removed_by    TEXT,
    removed_reason TEXT,
    CHECK ((role = 'sibling') = (child_id IS NOT NULL)),
    CHECK ((role = 'sibling') = (person_id IS NULL)),
    CHECK ((role = 'parent_carer') = (parental_responsibility IS NOT NULL)),
    CHECK ((removed_at IS NULL) = (removed_reason IS NULL)),
    CHECK (removed_at IS NULL OR removed_at >= added_at)
) STRICT;
CREATE INDEX household_referral ON household_members(referral_id, id);
CREATE INDEX household_person ON household_members(person_id) WHERE person_id IS NOT NULL;
CREATE INDEX household_child ON household_members(child_id) WHERE child_id IS NOT NULL;
CREATE INDEX household_dob ON household_members(dob) WHERE person_id IS NOT NULL;

-- Adult search: the trigram index the call form's child search uses, over
-- each adult as recorded on each referral (a sibling is found through
-- children_fts).
CREATE VIRTUAL TABLE household_fts USING fts5(
    name, address, content='household_members', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER household_fts_ai AFTER INSERT ON household_members WHEN new.person_id IS NOT NULL
BEGIN
    INSERT INTO household_fts(rowid, name, address) VALUES (new.id, new.name, new.address);
END;
CREATE TRIGGER household_fts_ad AFTER DELETE ON household_members WHEN old.person_id IS NOT NULL
BEGIN
    INSERT INTO household_fts(household_fts, rowid, name, address)
        VALUES ('delete', old.id, old.name, old.address);
END;
CREATE TRIGGER household_fts_au AFTER UPDATE OF name, address, person_id ON household_members
BEGIN
    INSERT INTO household_fts(household_fts, rowid, name, address)
        SELECT 'delete', old.id, old.name, old.address WHERE old.person_id IS NOT NULL;
    INSERT INTO household_fts(rowid, name, address)
        SELECT new.id, new.name, new.address WHERE new.person_id IS NOT NULL;
END;

-- strategy_discussions (Rec 51, 93; Working Together 2023): when, how, what
-- was decided, why a manager of social care or of the police was not there,
-- and its circulation.
CREATE TABLE strategy_discussions (
    id             INTEGER PRIMARY KEY,
    referral_id    INTEGER NOT NULL REFERENCES referrals(id),
    held_at        INTEGER NOT NULL,
    how            TEXT NOT NULL CHECK (how IN ('meeting', 'phone', 'video')),
    s47            INTEGER NOT NULL CHECK (s47 IN (0, 1)),
    protective_action TEXT NOT NULL CHECK (length(protective_action) BETWEEN 1 AND 20000),
    no_police_manager_reason TEXT,
    no_social_care_manager_reason TEXT,
    recorded_by    TEXT NOT NULL,
    recorded_at    INTEGER NOT NULL,
    -- The strategy_discussion action it ended, if one was open.
    action_id      INTEGER REFERENCES actions(id),
    -- The strategy_circulation action (the record sent to those who took part).
    circulation_action_id INTEGER REFERENCES actions(id),
    circulated_at  INTEGER,
    circulated_by  TEXT,
    circulated_to  TEXT,
    CHECK (recorded_at >= held_at),
    CHECK ((circulated_at IS NULL) = (circulated_by IS NULL))
) STRICT;
CREATE INDEX strategy_referral ON strategy_discussions(referral_id, held_at);
CREATE INDEX strategy_uncirculated ON strategy_discussions(held_at) WHERE circulated_at IS NULL;

CREATE TABLE strategy_participants (
    id             INTEGER PRIMARY KEY,
    discussion_id  INTEGER NOT NULL REFERENCES strategy_discussions(id),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    agency         TEXT NOT NULL CHECK (length(agency) BETWEEN 1 AND 200),
    role           TEXT NOT NULL CHECK (length(role) BETWEEN 1 AND 200),
    manager        INTEGER NOT NULL CHECK (manager IN (0, 1))
) STRICT;
CREATE INDEX strategy_participants_discussion ON strategy_participants(discussion_id);

-- Each action point is an action_point action with its owner and due time;
-- the first review date is kept here (a London day).
CREATE TABLE strategy_action_points (
    id             INTEGER PRIMARY KEY,
    discussion_id  INTEGER NOT NULL REFERENCES strategy_discussions(id),
    what           TEXT NOT NULL CHECK (length(what) BETWEEN 1 AND 20000),
    owner          TEXT NOT NULL REFERENCES staff(login),
    due_at         INTEGER NOT NULL,
    review_on      TEXT NOT NULL CHECK (review_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    action_id      INTEGER NOT NULL REFERENCES actions(id)
) STRICT;
CREATE INDEX strategy_action_points_discussion ON strategy_action_points(discussion_id);
CREATE INDEX strategy_action_points_action ON strategy_action_points(action_id);
