-- dutydesk schema: the unallocated count at the cost of an index lookup
-- (issue 18, item 1).
--
-- What "unallocated" means stays where it is (store::reports: a referral
-- not closed with an open action, other than pass-to-duty, whose owner is
-- not a duty worker or duty manager, active and at work at `now`). Absence
-- moves with the clock, so the count cannot be kept whole; what can be kept
-- is who holds the open actions that count:
--
-- allocation_open: one row per (team, owner, referral) with `n` open
--    actions of that referral, other than pass-to-duty, in that team held by
--    that owner ('' for nobody), for referrals that are not closed. Kept by
--    triggers in the same transaction as every write to actions and every
--    change of a referral's state.
-- allocation_owners: those rows counted per team and owner (below).
--
-- The count is then the team's referrals held by nobody (one row) plus
-- those whose actions are all held, some by an owner who does not allocate
-- at `now` (only those owners' rows are read, no join). store::reports::unallocated_count
-- reads it; a test checks it against the full definition.

CREATE TABLE allocation_open (
    team_id     INTEGER NOT NULL,
    owner       TEXT NOT NULL,      -- '' = nobody
    referral_id INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (team_id, owner, referral_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX allocation_open_referral ON allocation_open(referral_id);

INSERT INTO allocation_open (team_id, owner, referral_id, n)
    SELECT a.team_id, COALESCE(a.owner, ''), a.referral_id, COUNT(*) FROM actions a
    JOIN referrals r ON r.id = a.referral_id
    WHERE a.done_at IS NULL AND a.kind <> 'pass_to_duty' AND r.state <> 'closed'
    GROUP BY a.team_id, COALESCE(a.owner, ''), a.referral_id;

-- allocation_owners: per team and owner ('' = nobody), how many referrals
-- that owner holds an open action of (the rows above, counted), so the
-- count reads only the owners who do not allocate at `now`, and the
-- referrals held by nobody are one row.
CREATE TABLE allocation_owners (
    team_id INTEGER NOT NULL,
    owner   TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (team_id, owner)
) STRICT, WITHOUT ROWID;

INSERT INTO allocation_owners (team_id, owner, n)
    SELECT team_id, owner, COUNT(*) FROM allocation_open GROUP BY team_id, owner;

CREATE TRIGGER allocation_open_ai AFTER INSERT ON allocation_open
BEGIN
    INSERT INTO allocation_owners (team_id, owner, n) VALUES (new.team_id, new.owner, 1)
        ON CONFLICT (team_id, owner) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER allocation_open_ad AFTER DELETE ON allocation_open
BEGIN
    UPDATE allocation_owners SET n = n - 1 WHERE team_id = old.team_id AND owner = old.owner;
END;

-- An action that counts, opened (on a referral not closed).
CREATE TRIGGER allocation_action_ai AFTER INSERT ON actions
    WHEN new.done_at IS NULL AND new.kind <> 'pass_to_duty'
BEGIN
    INSERT INTO allocation_open (team_id, owner, referral_id, n)
        SELECT new.team_id, COALESCE(new.owner, ''), new.referral_id, 1
        WHERE EXISTS (SELECT 1 FROM referrals WHERE id = new.referral_id AND state <> 'closed')
        ON CONFLICT (team_id, owner, referral_id) DO UPDATE SET n = n + 1;
END;

-- An action ended, reopened, handed to someone else, moved to another team
-- or referral, or of another kind: out of its old row, into its new one.
CREATE TRIGGER allocation_action_au AFTER UPDATE OF done_at, owner, team_id, kind, referral_id
    ON actions
    WHEN (old.done_at IS NULL AND old.kind <> 'pass_to_duty')
        OR (new.done_at IS NULL AND new.kind <> 'pass_to_duty')
BEGIN
    UPDATE allocation_open SET n = n - 1
        WHERE old.done_at IS NULL AND old.kind <> 'pass_to_duty'
        AND team_id = old.team_id AND owner = COALESCE(old.owner, '')
        AND referral_id = old.referral_id;
    DELETE FROM allocation_open WHERE n <= 0
        AND team_id = old.team_id AND owner = COALESCE(old.owner, '')
        AND referral_id = old.referral_id;
    INSERT INTO allocation_open (team_id, owner, referral_id, n)
        SELECT new.team_id, COALESCE(new.owner, ''), new.referral_id, 1
        WHERE new.done_at IS NULL AND new.kind <> 'pass_to_duty'
        AND EXISTS (SELECT 1 FROM referrals WHERE id = new.referral_id AND state <> 'closed')
        ON CONFLICT (team_id, owner, referral_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER allocation_action_ad AFTER DELETE ON actions
    WHEN old.done_at IS NULL AND old.kind <> 'pass_to_duty'
BEGIN
    UPDATE allocation_open SET n = n - 1
        WHERE team_id = old.team_id AND owner = COALESCE(old.owner, '')
        AND referral_id = old.referral_id;
    DELETE FROM allocation_open WHERE n <= 0
        AND team_id = old.team_id AND owner = COALESCE(old.owner, '')
        AND referral_id = old.referral_id;
END;

-- A referral closed takes its rows with it; one reopened brings its open
-- actions back.
CREATE TRIGGER allocation_referral_closed AFTER UPDATE OF state ON referrals
    WHEN old.state <> 'closed' AND new.state = 'closed'
BEGIN
    DELETE FROM allocation_open WHERE referral_id = new.id;
END;
CREATE TRIGGER allocation_referral_reopened AFTER UPDATE OF state ON referrals
    WHEN old.state = 'closed' AND new.state <> 'closed'
BEGIN
    INSERT INTO allocation_open (team_id, owner, referral_id, n)
        SELECT team_id, COALESCE(owner, ''), referral_id, COUNT(*) FROM actions
        WHERE referral_id = new.id AND done_at IS NULL AND kind <> 'pass_to_duty'
        GROUP BY team_id, COALESCE(owner, ''), referral_id
        ON CONFLICT (team_id, owner, referral_id) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER allocation_referral_ad AFTER DELETE ON referrals
BEGIN
    DELETE FROM allocation_open WHERE referral_id = old.id;
END;

-- A team's name search: its open actions in queue order with what the
-- filters need, so the search reads only the team's part (actions_open_child,
-- 0012, holds every team's and stays for the all-teams search).
CREATE INDEX actions_open_team_child ON actions(team_id, due_at, id, child_name, owner, kind, done_at)
    WHERE done_at IS NULL;

-- The report's screening figures read the period's screenings (one per
-- screened referral: a million of them on a big desk) by when they were made.
CREATE INDEX screenings_at ON screenings(screened_at, referral_id, urgency);
