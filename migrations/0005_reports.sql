-- Reports (Rec 29, Rec 54): figures by London day, kept by triggers in the
-- same transaction as every write, so a year's report over 1,000,000 referrals
-- sums a few thousand rows instead of scanning millions.
--
-- report_days holds signed counts: (London day, team, measure, key) -> n.
--   referred          day received,        key = CIN source code
--   rereferred        day received,        key = CIN source code (a previous
--                     referral of the same child received in the 365 days before)
--   decided           day decided,         key = decision
--   service_needed    day assessed as needing a service
--   service_provided  day the service was provided
--   done_on_time      day due,             key = action kind (done_at <= due_at)
--   done_late         day due,             key = action kind (done_at >  due_at)
--   late_reason       day due,             key = kind || char(31) || reason
--                     (lower-cased, trimmed, first 80 characters; '' = none)
--   late_span         '+' on the day due, '-' on the day done, for actions done
--                     late: how many were overdue at the end of each day
--
-- The London day of an instant is computed in SQL with the UK rule (British
-- Summer Time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
-- last Sunday of October); src/store/reports.rs tests it against chrono-tz.

ALTER TABLE referrals ADD COLUMN rereferral INTEGER NOT NULL DEFAULT 0;

CREATE TABLE report_days (
    day      TEXT NOT NULL,
    team_id  INTEGER NOT NULL,
    measure  TEXT NOT NULL,
    key      TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (day, team_id, measure, key)
) STRICT, WITHOUT ROWID;

-- Snapshot figures read the live tables through these.
CREATE INDEX referrals_need ON referrals(service_needed_at, service_provided_at, closed_at, team_id)
    WHERE service_needed_at IS NOT NULL;
CREATE INDEX referrals_undecided ON referrals(received_at, team_id)
    WHERE decided_at IS NULL AND state <> 'closed';
CREATE INDEX report_days_measure ON report_days(measure, day, team_id);
CREATE INDEX referrals_unmet_now ON referrals(service_needed_at, team_id)
    WHERE service_needed_at IS NOT NULL AND service_provided_at IS NULL AND closed_at IS NULL;
-- Unallocated (Rec 54): open actions grouped by referral without touching the table.
CREATE INDEX actions_open_by_referral ON actions(referral_id, owner, kind, due_at, team_id, done_at)
    WHERE done_at IS NULL;

-- Backfill what is already on file.
UPDATE referrals AS r SET rereferral = EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = r.child_id AND p.id <> r.id AND p.received_at >= r.received_at - 31536000 AND (p.received_at < r.received_at OR (p.received_at = r.received_at AND p.id < r.id)));

INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'referred', source, COUNT(*) FROM
        (SELECT date(received_at + CASE WHEN received_at >= (CAST(strftime('%s', date(strftime('%Y', received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND received_at < (CAST(strftime('%s', date(strftime('%Y', received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id, source FROM referrals)
    GROUP BY d, team_id, source;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'rereferred', source, COUNT(*) FROM
        (SELECT date(received_at + CASE WHEN received_at >= (CAST(strftime('%s', date(strftime('%Y', received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND received_at < (CAST(strftime('%s', date(strftime('%Y', received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id, source FROM referrals WHERE rereferral = 1)
    GROUP BY d, team_id, source;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'decided', k, COUNT(*) FROM
        (SELECT date(decided_at + CASE WHEN decided_at >= (CAST(strftime('%s', date(strftime('%Y', decided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND decided_at < (CAST(strftime('%s', date(strftime('%Y', decided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id, COALESCE(decision, '') AS k FROM referrals WHERE decided_at IS NOT NULL)
    GROUP BY d, team_id, k;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'service_needed', '', COUNT(*) FROM
        (SELECT date(service_needed_at + CASE WHEN service_needed_at >= (CAST(strftime('%s', date(strftime('%Y', service_needed_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND service_needed_at < (CAST(strftime('%s', date(strftime('%Y', service_needed_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id FROM referrals WHERE service_needed_at IS NOT NULL)
    GROUP BY d, team_id;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'service_provided', '', COUNT(*) FROM
        (SELECT date(service_provided_at + CASE WHEN service_provided_at >= (CAST(strftime('%s', date(strftime('%Y', service_provided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND service_provided_at < (CAST(strftime('%s', date(strftime('%Y', service_provided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id FROM referrals WHERE service_provided_at IS NOT NULL)
    GROUP BY d, team_id;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, m, kind, COUNT(*) FROM
        (SELECT date(due_at + CASE WHEN due_at >= (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND due_at < (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id,
                CASE WHEN done_at <= due_at THEN 'done_on_time' ELSE 'done_late' END AS m, kind
         FROM actions WHERE done_at IS NOT NULL)
    GROUP BY d, team_id, m, kind;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'late_reason', k, COUNT(*) FROM
        (SELECT date(due_at + CASE WHEN due_at >= (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND due_at < (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id,
                kind || char(31) || COALESCE(substr(lower(trim(late_reason)), 1, 80), '') AS k
         FROM actions WHERE done_at IS NOT NULL AND done_at > due_at)
    GROUP BY d, team_id, k;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'late_span', '+', COUNT(*) FROM
        (SELECT date(due_at + CASE WHEN due_at >= (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND due_at < (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id FROM actions WHERE done_at IS NOT NULL AND done_at > due_at)
    GROUP BY d, team_id;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'late_span', '-', -COUNT(*) FROM
        (SELECT date(done_at + CASE WHEN done_at >= (CAST(strftime('%s', date(strftime('%Y', done_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND done_at < (CAST(strftime('%s', date(strftime('%Y', done_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, team_id FROM actions WHERE done_at IS NOT NULL AND done_at > due_at)
    GROUP BY d, team_id
    ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;

-- Referrals: intake.
CREATE TRIGGER report_referral_ai AFTER INSERT ON referrals
BEGIN
    UPDATE referrals SET rereferral = EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = new.child_id AND p.id <> new.id AND p.received_at >= new.received_at - 31536000 AND (p.received_at < new.received_at OR (p.received_at = new.received_at AND p.id < new.id))) WHERE id = new.id;
    INSERT INTO report_days (day, team_id, measure, key, n) VALUES (date(new.received_at + CASE WHEN new.received_at >= (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.received_at < (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'referred', new.source, 1)
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.received_at + CASE WHEN new.received_at >= (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.received_at < (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'rereferred', new.source, 1
        FROM referrals WHERE id = new.id AND rereferral = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.decided_at + CASE WHEN new.decided_at >= (CAST(strftime('%s', date(strftime('%Y', new.decided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.decided_at < (CAST(strftime('%s', date(strftime('%Y', new.decided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'decided', COALESCE(new.decision, ''), 1
        WHERE new.decided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.service_needed_at + CASE WHEN new.service_needed_at >= (CAST(strftime('%s', date(strftime('%Y', new.service_needed_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.service_needed_at < (CAST(strftime('%s', date(strftime('%Y', new.service_needed_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'service_needed', '', 1
        WHERE new.service_needed_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.service_provided_at + CASE WHEN new.service_provided_at >= (CAST(strftime('%s', date(strftime('%Y', new.service_provided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.service_provided_at < (CAST(strftime('%s', date(strftime('%Y', new.service_provided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'service_provided', '', 1
        WHERE new.service_provided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_referral_intake_au
AFTER UPDATE OF received_at, team_id, source, child_id ON referrals
WHEN old.received_at IS NOT new.received_at OR old.team_id IS NOT new.team_id
  OR old.source IS NOT new.source OR old.child_id IS NOT new.child_id
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n) VALUES (date(old.received_at + CASE WHEN old.received_at >= (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.received_at < (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'referred', old.source, -1)
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.received_at + CASE WHEN old.received_at >= (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.received_at < (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'rereferred', old.source, -1
        WHERE old.rereferral = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    UPDATE referrals SET rereferral = EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = new.child_id AND p.id <> new.id AND p.received_at >= new.received_at - 31536000 AND (p.received_at < new.received_at OR (p.received_at = new.received_at AND p.id < new.id))) WHERE id = new.id;
    INSERT INTO report_days (day, team_id, measure, key, n) VALUES (date(new.received_at + CASE WHEN new.received_at >= (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.received_at < (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'referred', new.source, 1)
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.received_at + CASE WHEN new.received_at >= (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.received_at < (CAST(strftime('%s', date(strftime('%Y', new.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'rereferred', new.source, 1
        FROM referrals WHERE id = new.id AND rereferral = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_referral_stages_au
AFTER UPDATE OF team_id, decided_at, decision, service_needed_at, service_provided_at ON referrals
WHEN old.team_id IS NOT new.team_id OR old.decided_at IS NOT new.decided_at
  OR old.decision IS NOT new.decision OR old.service_needed_at IS NOT new.service_needed_at
  OR old.service_provided_at IS NOT new.service_provided_at
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.decided_at + CASE WHEN old.decided_at >= (CAST(strftime('%s', date(strftime('%Y', old.decided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.decided_at < (CAST(strftime('%s', date(strftime('%Y', old.decided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'decided', COALESCE(old.decision, ''), -1
        WHERE old.decided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.service_needed_at + CASE WHEN old.service_needed_at >= (CAST(strftime('%s', date(strftime('%Y', old.service_needed_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.service_needed_at < (CAST(strftime('%s', date(strftime('%Y', old.service_needed_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'service_needed', '', -1
        WHERE old.service_needed_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.service_provided_at + CASE WHEN old.service_provided_at >= (CAST(strftime('%s', date(strftime('%Y', old.service_provided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.service_provided_at < (CAST(strftime('%s', date(strftime('%Y', old.service_provided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'service_provided', '', -1
        WHERE old.service_provided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.decided_at + CASE WHEN new.decided_at >= (CAST(strftime('%s', date(strftime('%Y', new.decided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.decided_at < (CAST(strftime('%s', date(strftime('%Y', new.decided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'decided', COALESCE(new.decision, ''), 1
        WHERE new.decided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.service_needed_at + CASE WHEN new.service_needed_at >= (CAST(strftime('%s', date(strftime('%Y', new.service_needed_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.service_needed_at < (CAST(strftime('%s', date(strftime('%Y', new.service_needed_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'service_needed', '', 1
        WHERE new.service_needed_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.service_provided_at + CASE WHEN new.service_provided_at >= (CAST(strftime('%s', date(strftime('%Y', new.service_provided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.service_provided_at < (CAST(strftime('%s', date(strftime('%Y', new.service_provided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'service_provided', '', 1
        WHERE new.service_provided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_referral_ad AFTER DELETE ON referrals
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n) VALUES (date(old.received_at + CASE WHEN old.received_at >= (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.received_at < (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'referred', old.source, -1)
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.received_at + CASE WHEN old.received_at >= (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.received_at < (CAST(strftime('%s', date(strftime('%Y', old.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'rereferred', old.source, -1
        WHERE old.rereferral = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.decided_at + CASE WHEN old.decided_at >= (CAST(strftime('%s', date(strftime('%Y', old.decided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.decided_at < (CAST(strftime('%s', date(strftime('%Y', old.decided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'decided', COALESCE(old.decision, ''), -1
        WHERE old.decided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.service_needed_at + CASE WHEN old.service_needed_at >= (CAST(strftime('%s', date(strftime('%Y', old.service_needed_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.service_needed_at < (CAST(strftime('%s', date(strftime('%Y', old.service_needed_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'service_needed', '', -1
        WHERE old.service_needed_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.service_provided_at + CASE WHEN old.service_provided_at >= (CAST(strftime('%s', date(strftime('%Y', old.service_provided_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.service_provided_at < (CAST(strftime('%s', date(strftime('%Y', old.service_provided_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'service_provided', '', -1
        WHERE old.service_provided_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

-- Actions: deadlines met and missed.
CREATE TRIGGER report_action_ai AFTER INSERT ON actions WHEN new.done_at IS NOT NULL
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.due_at + CASE WHEN new.due_at >= (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.due_at < (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, CASE WHEN new.done_at <= new.due_at THEN 'done_on_time' ELSE 'done_late' END, new.kind, 1
        WHERE new.done_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.due_at + CASE WHEN new.due_at >= (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.due_at < (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'late_reason', new.kind || char(31) || COALESCE(substr(lower(trim(new.late_reason)), 1, 80), ''), 1
        WHERE new.done_at IS NOT NULL AND new.done_at > new.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.due_at + CASE WHEN new.due_at >= (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.due_at < (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'late_span', '+', 1
        WHERE new.done_at IS NOT NULL AND new.done_at > new.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.done_at + CASE WHEN new.done_at >= (CAST(strftime('%s', date(strftime('%Y', new.done_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.done_at < (CAST(strftime('%s', date(strftime('%Y', new.done_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'late_span', '-', -(1)
        WHERE new.done_at IS NOT NULL AND new.done_at > new.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_action_au
AFTER UPDATE OF done_at, due_at, team_id, kind, late_reason ON actions
WHEN old.done_at IS NOT new.done_at OR old.due_at IS NOT new.due_at
  OR old.team_id IS NOT new.team_id OR old.kind IS NOT new.kind
  OR old.late_reason IS NOT new.late_reason
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.due_at + CASE WHEN old.due_at >= (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.due_at < (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, CASE WHEN old.done_at <= old.due_at THEN 'done_on_time' ELSE 'done_late' END, old.kind, -1
        WHERE old.done_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.due_at + CASE WHEN old.due_at >= (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.due_at < (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'late_reason', old.kind || char(31) || COALESCE(substr(lower(trim(old.late_reason)), 1, 80), ''), -1
        WHERE old.done_at IS NOT NULL AND old.done_at > old.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.due_at + CASE WHEN old.due_at >= (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.due_at < (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'late_span', '+', -1
        WHERE old.done_at IS NOT NULL AND old.done_at > old.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.done_at + CASE WHEN old.done_at >= (CAST(strftime('%s', date(strftime('%Y', old.done_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.done_at < (CAST(strftime('%s', date(strftime('%Y', old.done_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'late_span', '-', -(-1)
        WHERE old.done_at IS NOT NULL AND old.done_at > old.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.due_at + CASE WHEN new.due_at >= (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.due_at < (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, CASE WHEN new.done_at <= new.due_at THEN 'done_on_time' ELSE 'done_late' END, new.kind, 1
        WHERE new.done_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.due_at + CASE WHEN new.due_at >= (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.due_at < (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'late_reason', new.kind || char(31) || COALESCE(substr(lower(trim(new.late_reason)), 1, 80), ''), 1
        WHERE new.done_at IS NOT NULL AND new.done_at > new.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.due_at + CASE WHEN new.due_at >= (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.due_at < (CAST(strftime('%s', date(strftime('%Y', new.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'late_span', '+', 1
        WHERE new.done_at IS NOT NULL AND new.done_at > new.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(new.done_at + CASE WHEN new.done_at >= (CAST(strftime('%s', date(strftime('%Y', new.done_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND new.done_at < (CAST(strftime('%s', date(strftime('%Y', new.done_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), new.team_id, 'late_span', '-', -(1)
        WHERE new.done_at IS NOT NULL AND new.done_at > new.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_action_ad AFTER DELETE ON actions WHEN old.done_at IS NOT NULL
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.due_at + CASE WHEN old.due_at >= (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.due_at < (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, CASE WHEN old.done_at <= old.due_at THEN 'done_on_time' ELSE 'done_late' END, old.kind, -1
        WHERE old.done_at IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.due_at + CASE WHEN old.due_at >= (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.due_at < (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'late_reason', old.kind || char(31) || COALESCE(substr(lower(trim(old.late_reason)), 1, 80), ''), -1
        WHERE old.done_at IS NOT NULL AND old.done_at > old.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.due_at + CASE WHEN old.due_at >= (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.due_at < (CAST(strftime('%s', date(strftime('%Y', old.due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'late_span', '+', -1
        WHERE old.done_at IS NOT NULL AND old.done_at > old.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(old.done_at + CASE WHEN old.done_at >= (CAST(strftime('%s', date(strftime('%Y', old.done_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND old.done_at < (CAST(strftime('%s', date(strftime('%Y', old.done_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), old.team_id, 'late_span', '-', -(-1)
        WHERE old.done_at IS NOT NULL AND old.done_at > old.due_at
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;
