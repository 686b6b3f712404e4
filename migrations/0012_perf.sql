-- dutydesk schema: every screen at the floor (issue 18).
--
-- 1. queue_tallies: the queue header's per-team counts that need no clock
--    (open referrals, open actions, open actions of each kind), kept by
--    triggers in the same transaction as every write, so the header reads a
--    handful of rows instead of counting a million. `measure` is
--    'open_referrals', 'open_actions' or 'open:' || kind.
--    (Counts that move with the clock, overdue and unallocated, are counted
--    from partial indexes of open actions at `now`.)
-- 2. actions.child_name: the child's name as recorded, kept on each action
--    (written with the action; triggers follow a rename or a referral moved
--    to another child), so the queue's name search reads only open actions
--    through one covering partial index: no per-row lookups of referrals and
--    children.

CREATE TABLE queue_tallies (
    team_id INTEGER NOT NULL,
    measure TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (team_id, measure)
) STRICT, WITHOUT ROWID;

INSERT INTO queue_tallies (team_id, measure, n)
    SELECT team_id, 'open_referrals', COUNT(*) FROM referrals WHERE state <> 'closed' GROUP BY team_id;
INSERT INTO queue_tallies (team_id, measure, n)
    SELECT team_id, 'open_actions', COUNT(*) FROM actions WHERE done_at IS NULL GROUP BY team_id;
INSERT INTO queue_tallies (team_id, measure, n)
    SELECT team_id, 'open:' || kind, COUNT(*) FROM actions WHERE done_at IS NULL GROUP BY team_id, kind;

CREATE TRIGGER tally_referral_ai AFTER INSERT ON referrals WHEN new.state <> 'closed'
BEGIN
    INSERT INTO queue_tallies (team_id, measure, n) VALUES (new.team_id, 'open_referrals', 1)
        ON CONFLICT (team_id, measure) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tally_referral_au AFTER UPDATE OF state, team_id ON referrals
    WHEN (old.state <> 'closed') IS NOT (new.state <> 'closed') OR old.team_id IS NOT new.team_id
BEGIN
    UPDATE queue_tallies SET n = n - 1
        WHERE old.state <> 'closed' AND team_id = old.team_id AND measure = 'open_referrals';
    INSERT INTO queue_tallies (team_id, measure, n)
        SELECT new.team_id, 'open_referrals', 1 WHERE new.state <> 'closed'
        ON CONFLICT (team_id, measure) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tally_referral_ad AFTER DELETE ON referrals WHEN old.state <> 'closed'
BEGIN
    UPDATE queue_tallies SET n = n - 1 WHERE team_id = old.team_id AND measure = 'open_referrals';
END;

CREATE TRIGGER tally_action_ai AFTER INSERT ON actions WHEN new.done_at IS NULL
BEGIN
    INSERT INTO queue_tallies (team_id, measure, n) VALUES (new.team_id, 'open_actions', 1)
        ON CONFLICT (team_id, measure) DO UPDATE SET n = n + 1;
    INSERT INTO queue_tallies (team_id, measure, n) VALUES (new.team_id, 'open:' || new.kind, 1)
        ON CONFLICT (team_id, measure) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tally_action_au AFTER UPDATE OF done_at, team_id, kind ON actions
    WHEN (old.done_at IS NULL) IS NOT (new.done_at IS NULL) OR old.team_id IS NOT new.team_id
        OR old.kind IS NOT new.kind
BEGIN
    UPDATE queue_tallies SET n = n - 1 WHERE old.done_at IS NULL AND team_id = old.team_id
        AND measure IN ('open_actions', 'open:' || old.kind);
    INSERT INTO queue_tallies (team_id, measure, n)
        SELECT new.team_id, 'open_actions', 1 WHERE new.done_at IS NULL
        ON CONFLICT (team_id, measure) DO UPDATE SET n = n + 1;
    INSERT INTO queue_tallies (team_id, measure, n)
        SELECT new.team_id, 'open:' || new.kind, 1 WHERE new.done_at IS NULL
        ON CONFLICT (team_id, measure) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tally_action_ad AFTER DELETE ON actions WHEN old.done_at IS NULL
BEGIN
    UPDATE queue_tallies SET n = n - 1 WHERE team_id = old.team_id
        AND measure IN ('open_actions', 'open:' || old.kind);
END;

ALTER TABLE actions ADD COLUMN child_name TEXT;
UPDATE actions SET child_name = (SELECT c.name FROM referrals r JOIN children c ON c.id = r.child_id
    WHERE r.id = actions.referral_id);

CREATE TRIGGER action_child_name_child_au AFTER UPDATE OF name ON children
    WHEN old.name IS NOT new.name
BEGIN
    UPDATE actions SET child_name = new.name
        WHERE referral_id IN (SELECT id FROM referrals WHERE child_id = new.id);
END;
CREATE TRIGGER action_child_name_referral_au AFTER UPDATE OF child_id ON referrals
    WHEN old.child_id IS NOT new.child_id
BEGIN
    UPDATE actions SET child_name = (SELECT name FROM children WHERE id = new.child_id)
        WHERE referral_id = new.id;
END;

-- Name search: every open action in queue order (due, id) with what the
-- filters need, so the count and the page of a search are both one scan of
-- this index, with no lookup of the table until the page's 50 rows.
CREATE INDEX actions_open_child ON actions(due_at, id, child_name, team_id, owner, kind, done_at)
    WHERE done_at IS NULL;

-- 3. report_months: report_days rolled up by calendar month (the month of
--    the London day), kept by triggers on report_days in the same
--    transaction, so a year's report sums twelve months of cells (and the
--    days at either end of a period that are not whole months) instead of
--    grouping every day's cells.
CREATE TABLE report_months (
    month    TEXT NOT NULL,   -- YYYY-MM
    team_id  INTEGER NOT NULL,
    measure  TEXT NOT NULL,
    key      TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (month, team_id, measure, key)
) STRICT, WITHOUT ROWID;

INSERT INTO report_months (month, team_id, measure, key, n)
    SELECT substr(day, 1, 7), team_id, measure, key, SUM(n) FROM report_days
    GROUP BY substr(day, 1, 7), team_id, measure, key;

CREATE TRIGGER report_month_ai AFTER INSERT ON report_days
BEGIN
    INSERT INTO report_months (month, team_id, measure, key, n)
        VALUES (substr(new.day, 1, 7), new.team_id, new.measure, new.key, new.n)
        ON CONFLICT (month, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER report_month_au AFTER UPDATE ON report_days
BEGIN
    UPDATE report_months SET n = n - old.n WHERE month = substr(old.day, 1, 7)
        AND team_id = old.team_id AND measure = old.measure AND key = old.key;
    INSERT INTO report_months (month, team_id, measure, key, n)
        VALUES (substr(new.day, 1, 7), new.team_id, new.measure, new.key, new.n)
        ON CONFLICT (month, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER report_month_ad AFTER DELETE ON report_days
BEGIN
    UPDATE report_months SET n = n - old.n WHERE month = substr(old.day, 1, 7)
        AND team_id = old.team_id AND measure = old.measure AND key = old.key;
END;

-- The per-day series (referred, late spans) read only this index.
CREATE INDEX report_days_series ON report_days(measure, day, team_id, key, n);
