-- dutydesk schema: a queue and figures that tell the truth (issue 14).
--
-- How each action ended, and whether late, are decided once in Rust
-- (src/domain/endings.rs, at the store's precision) and stored with the row
-- when it ends; so are the London days of its due and end instants
-- (src/domain/time.rs). The report triggers below only count them.
--
--   ended         'done' or 'cancelled' (closed as not needed at closure);
--                 NULL while open
--   ended_late    1 when it ended after its due instant (a cancelled action
--                 is never counted late: only overdue-at-end-of-day uses it)
--   recorded_at   when the ending was recorded (done_at is when it happened)
--   due_day       London day of due_at
--   ended_day     London day of done_at
--
-- report_days measures for actions (replacing those of migration 0005):
--   done_on_time, done_late   day due,   key = kind (ended = 'done')
--   cancelled                 day due,   key = kind
--   completed_on_time,
--   completed_late            day ended, key = kind (ended = 'done'): NI59/NI60
--                             count assessments completed in the period
--   late_reason               day due,   key = kind || char(31) || reason
--   late_span                 '+' on the day due, '-' on the day ended, for
--                             actions that ended late (done or cancelled)

ALTER TABLE actions ADD COLUMN ended TEXT CHECK (ended IS NULL OR ended IN ('done', 'cancelled'));
ALTER TABLE actions ADD COLUMN ended_late INTEGER;
ALTER TABLE actions ADD COLUMN recorded_at INTEGER;
ALTER TABLE actions ADD COLUMN due_day TEXT;
ALTER TABLE actions ADD COLUMN ended_day TEXT;

-- Backfill rows already on file, once. Their instants are whole seconds, so
-- done_at > due_at is the domain's rule at the store's precision; the London
-- day is migration 0005's expression (tested against chrono-tz in
-- src/store/reports.rs). Actions closed at closure were written with this
-- outcome text by dutydesk before this migration.
UPDATE actions SET
    ended = CASE WHEN done_at IS NULL THEN NULL
                 WHEN outcome LIKE 'not needed: referral closed%' THEN 'cancelled'
                 ELSE 'done' END,
    ended_late = CASE WHEN done_at IS NULL THEN NULL WHEN done_at > due_at THEN 1 ELSE 0 END,
    recorded_at = done_at,
    due_day = date(due_at + CASE WHEN due_at >= (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND due_at < (CAST(strftime('%s', date(strftime('%Y', due_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'),
    ended_day = CASE WHEN done_at IS NULL THEN NULL ELSE date(done_at + CASE WHEN done_at >= (CAST(strftime('%s', date(strftime('%Y', done_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND done_at < (CAST(strftime('%s', date(strftime('%Y', done_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') END;

-- A late cancellation carried the closure reason as its "late reason": it
-- was never a reason for lateness.
UPDATE actions SET late_reason = NULL WHERE ended = 'cancelled';

DROP TRIGGER report_action_ai;
DROP TRIGGER report_action_au;
DROP TRIGGER report_action_ad;

DELETE FROM report_days WHERE measure IN ('done_on_time', 'done_late', 'late_reason', 'late_span');

INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT due_day, team_id,
           CASE WHEN ended = 'cancelled' THEN 'cancelled'
                WHEN ended_late = 1 THEN 'done_late' ELSE 'done_on_time' END AS m,
           kind, COUNT(*)
    FROM actions WHERE ended IS NOT NULL GROUP BY due_day, team_id, m, kind;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT ended_day, team_id,
           CASE WHEN ended_late = 1 THEN 'completed_late' ELSE 'completed_on_time' END AS m,
           kind, COUNT(*)
    FROM actions WHERE ended = 'done' GROUP BY ended_day, team_id, m, kind;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT due_day, team_id, 'late_reason',
           kind || char(31) || COALESCE(substr(lower(trim(late_reason)), 1, 80), '') AS k, COUNT(*)
    FROM actions WHERE ended = 'done' AND ended_late = 1 GROUP BY due_day, team_id, k;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT due_day, team_id, 'late_span', '+', COUNT(*)
    FROM actions WHERE ended IS NOT NULL AND ended_late = 1 GROUP BY due_day, team_id;
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT ended_day, team_id, 'late_span', '-', -COUNT(*)
    FROM actions WHERE ended IS NOT NULL AND ended_late = 1 GROUP BY ended_day, team_id
    ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;

CREATE TRIGGER report_action_ai AFTER INSERT ON actions WHEN new.ended IS NOT NULL
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        VALUES (new.due_day, new.team_id,
                CASE WHEN new.ended = 'cancelled' THEN 'cancelled'
                     WHEN new.ended_late = 1 THEN 'done_late' ELSE 'done_on_time' END,
                new.kind, 1)
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.ended_day, new.team_id,
               CASE WHEN new.ended_late = 1 THEN 'completed_late' ELSE 'completed_on_time' END,
               new.kind, 1
        WHERE new.ended = 'done'
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.due_day, new.team_id, 'late_reason',
               new.kind || char(31) || COALESCE(substr(lower(trim(new.late_reason)), 1, 80), ''), 1
        WHERE new.ended = 'done' AND new.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.due_day, new.team_id, 'late_span', '+', 1 WHERE new.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.ended_day, new.team_id, 'late_span', '-', -1 WHERE new.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_action_au
AFTER UPDATE OF ended, ended_late, due_day, ended_day, team_id, kind, late_reason ON actions
WHEN old.ended IS NOT new.ended OR old.ended_late IS NOT new.ended_late
  OR old.due_day IS NOT new.due_day OR old.ended_day IS NOT new.ended_day
  OR old.team_id IS NOT new.team_id OR old.kind IS NOT new.kind
  OR old.late_reason IS NOT new.late_reason
BEGIN
    -- Take the old row out ...
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.due_day, old.team_id,
               CASE WHEN old.ended = 'cancelled' THEN 'cancelled'
                    WHEN old.ended_late = 1 THEN 'done_late' ELSE 'done_on_time' END,
               old.kind, -1
        WHERE old.ended IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.ended_day, old.team_id,
               CASE WHEN old.ended_late = 1 THEN 'completed_late' ELSE 'completed_on_time' END,
               old.kind, -1
        WHERE old.ended = 'done'
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.due_day, old.team_id, 'late_reason',
               old.kind || char(31) || COALESCE(substr(lower(trim(old.late_reason)), 1, 80), ''), -1
        WHERE old.ended = 'done' AND old.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.due_day, old.team_id, 'late_span', '+', -1
        WHERE old.ended IS NOT NULL AND old.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.ended_day, old.team_id, 'late_span', '-', 1
        WHERE old.ended IS NOT NULL AND old.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    -- ... and put the new one in.
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.due_day, new.team_id,
               CASE WHEN new.ended = 'cancelled' THEN 'cancelled'
                    WHEN new.ended_late = 1 THEN 'done_late' ELSE 'done_on_time' END,
               new.kind, 1
        WHERE new.ended IS NOT NULL
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.ended_day, new.team_id,
               CASE WHEN new.ended_late = 1 THEN 'completed_late' ELSE 'completed_on_time' END,
               new.kind, 1
        WHERE new.ended = 'done'
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.due_day, new.team_id, 'late_reason',
               new.kind || char(31) || COALESCE(substr(lower(trim(new.late_reason)), 1, 80), ''), 1
        WHERE new.ended = 'done' AND new.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.due_day, new.team_id, 'late_span', '+', 1
        WHERE new.ended IS NOT NULL AND new.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT new.ended_day, new.team_id, 'late_span', '-', -1
        WHERE new.ended IS NOT NULL AND new.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_action_ad AFTER DELETE ON actions WHEN old.ended IS NOT NULL
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        VALUES (old.due_day, old.team_id,
                CASE WHEN old.ended = 'cancelled' THEN 'cancelled'
                     WHEN old.ended_late = 1 THEN 'done_late' ELSE 'done_on_time' END,
                old.kind, -1)
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.ended_day, old.team_id,
               CASE WHEN old.ended_late = 1 THEN 'completed_late' ELSE 'completed_on_time' END,
               old.kind, -1
        WHERE old.ended = 'done'
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.due_day, old.team_id, 'late_reason',
               old.kind || char(31) || COALESCE(substr(lower(trim(old.late_reason)), 1, 80), ''), -1
        WHERE old.ended = 'done' AND old.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.due_day, old.team_id, 'late_span', '+', -1 WHERE old.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT old.ended_day, old.team_id, 'late_span', '-', 1 WHERE old.ended_late = 1
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
END;

-- The queue header and the handover count open pass-to-duty actions past
-- their hour (Rec 39) through this, not through every open action.
CREATE INDEX actions_pass_open ON actions(due_at, team_id, done_at)
    WHERE done_at IS NULL AND kind = 'pass_to_duty';

-- The settings may also list the bank holidays of a year outside the
-- built-in list (2020–2035), so that year's working-day deadlines can be
-- counted rather than refused:
--   calendar.bank_holiday.<YYYY-MM-DD> '' (a bank holiday of such a year)
-- Migration 0009's CHECK is widened by rebuilding the table; rows are kept.
CREATE TABLE settings_0010 (
    key    TEXT PRIMARY KEY NOT NULL CHECK (
               key = 'timescales.profile'
               OR (key GLOB 'timescales.override.[a-z]*' AND key NOT GLOB '*[^a-z_.]*')
               OR key GLOB 'calendar.closure.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key GLOB 'calendar.not_holiday.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key GLOB 'calendar.bank_holiday.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    value  TEXT NOT NULL CHECK (length(value) <= 100),
    CHECK (key NOT GLOB 'calendar.*' OR value = '')
) STRICT, WITHOUT ROWID;
INSERT INTO settings_0010 (key, value) SELECT key, value FROM settings;
DROP TABLE settings;
ALTER TABLE settings_0010 RENAME TO settings;
