-- dutydesk schema: a referral's re-referral mark whatever order the
-- referrals are written in (issue 18's seam, found 3 December 2026).
--
-- A referral is a re-referral when the same child was referred in the 12
-- months before it (DfE's "re-referrals within 12 months"; the figure on
-- the reports screen and the report's `rereferrals`). 0005 set the mark
-- only on the referral being written, from the referrals already on file.
-- A referral written after a later one of the same child (two calls about
-- one child at once, the one that started first submitted second; a
-- referral logged late) now precedes it, and the later one was left
-- unmarked and uncounted: the 20,000-referral demo counted 2,916
-- re-referrals where the definition (0005's own backfill) gives 2,922.
--
-- Now every write that puts a referral somewhere (insert), moves it (a new
-- received time or child) or takes it away (delete) marks again the
-- child's referrals in the year after the place it came to or left, and
-- moves their 'rereferred' cells with the mark. The referral's own mark is
-- still set by 0005's triggers; these touch only the others. The mark of
-- every referral is then the definition, whatever the order of writes (a
-- test writes referrals in shuffled order, moves and deletes some, and
-- compares every mark and cell with a recount).
--
-- In a bulk fill (`store::bulk`) the insert trigger's two statements run
-- once over a batch, after the batch's own marks.

-- Put somewhere: the later referrals it now precedes gain the mark.
CREATE TRIGGER report_referral_precedes_ai AFTER INSERT ON referrals
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(l.received_at + CASE WHEN l.received_at >= (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND l.received_at < (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), l.team_id, 'rereferred', l.source, 1
        FROM referrals l WHERE l.rereferral = 0 AND l.child_id = new.child_id AND l.id <> new.id AND l.received_at <= new.received_at + 31536000 AND (l.received_at > new.received_at OR (l.received_at = new.received_at AND l.id > new.id))
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    UPDATE referrals SET rereferral = 1 WHERE id IN (SELECT l.id FROM referrals l WHERE l.rereferral = 0 AND l.child_id = new.child_id AND l.id <> new.id AND l.received_at <= new.received_at + 31536000 AND (l.received_at > new.received_at OR (l.received_at = new.received_at AND l.id > new.id)));
END;

-- Moved (a new received time or child): the later referrals at the place it
-- left lose the mark unless another referral still precedes them; those at
-- the place it came to gain it.
CREATE TRIGGER report_referral_moved_au AFTER UPDATE OF received_at, child_id ON referrals
WHEN old.received_at IS NOT new.received_at OR old.child_id IS NOT new.child_id
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(l.received_at + CASE WHEN l.received_at >= (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND l.received_at < (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), l.team_id, 'rereferred', l.source, -1
        FROM referrals l WHERE l.rereferral = 1 AND l.child_id = old.child_id AND l.id <> old.id AND l.received_at <= old.received_at + 31536000 AND (l.received_at > old.received_at OR (l.received_at = old.received_at AND l.id > old.id)) AND NOT EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = l.child_id AND p.id <> l.id AND p.received_at >= l.received_at - 31536000 AND (p.received_at < l.received_at OR (p.received_at = l.received_at AND p.id < l.id)))
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    UPDATE referrals SET rereferral = 0 WHERE id IN (SELECT l.id FROM referrals l WHERE l.rereferral = 1 AND l.child_id = old.child_id AND l.id <> old.id AND l.received_at <= old.received_at + 31536000 AND (l.received_at > old.received_at OR (l.received_at = old.received_at AND l.id > old.id)) AND NOT EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = l.child_id AND p.id <> l.id AND p.received_at >= l.received_at - 31536000 AND (p.received_at < l.received_at OR (p.received_at = l.received_at AND p.id < l.id))));
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(l.received_at + CASE WHEN l.received_at >= (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND l.received_at < (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), l.team_id, 'rereferred', l.source, 1
        FROM referrals l WHERE l.rereferral = 0 AND l.child_id = new.child_id AND l.id <> new.id AND l.received_at <= new.received_at + 31536000 AND (l.received_at > new.received_at OR (l.received_at = new.received_at AND l.id > new.id))
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    UPDATE referrals SET rereferral = 1 WHERE id IN (SELECT l.id FROM referrals l WHERE l.rereferral = 0 AND l.child_id = new.child_id AND l.id <> new.id AND l.received_at <= new.received_at + 31536000 AND (l.received_at > new.received_at OR (l.received_at = new.received_at AND l.id > new.id)));
END;

-- Taken away: the later referrals it preceded lose the mark unless another
-- referral still precedes them.
CREATE TRIGGER report_referral_gone_ad AFTER DELETE ON referrals
BEGIN
    INSERT INTO report_days (day, team_id, measure, key, n)
        SELECT date(l.received_at + CASE WHEN l.received_at >= (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND l.received_at < (CAST(strftime('%s', date(strftime('%Y', l.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch'), l.team_id, 'rereferred', l.source, -1
        FROM referrals l WHERE l.rereferral = 1 AND l.child_id = old.child_id AND l.id <> old.id AND l.received_at <= old.received_at + 31536000 AND (l.received_at > old.received_at OR (l.received_at = old.received_at AND l.id > old.id)) AND NOT EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = l.child_id AND p.id <> l.id AND p.received_at >= l.received_at - 31536000 AND (p.received_at < l.received_at OR (p.received_at = l.received_at AND p.id < l.id)))
        ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
    UPDATE referrals SET rereferral = 0 WHERE id IN (SELECT l.id FROM referrals l WHERE l.rereferral = 1 AND l.child_id = old.child_id AND l.id <> old.id AND l.received_at <= old.received_at + 31536000 AND (l.received_at > old.received_at OR (l.received_at = old.received_at AND l.id > old.id)) AND NOT EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = l.child_id AND p.id <> l.id AND p.received_at >= l.received_at - 31536000 AND (p.received_at < l.received_at OR (p.received_at = l.received_at AND p.id < l.id))));
END;

-- A file written before: every mark set to the definition, and the cells
-- of the marks that change moved with them.
INSERT INTO report_days (day, team_id, measure, key, n)
    SELECT d, team_id, 'rereferred', source, SUM(CASE WHEN m THEN 1 ELSE -1 END) FROM
        (SELECT date(r.received_at + CASE WHEN r.received_at >= (CAST(strftime('%s', date(strftime('%Y', r.received_at, 'unixepoch') || '-04-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) AND r.received_at < (CAST(strftime('%s', date(strftime('%Y', r.received_at, 'unixepoch') || '-11-01', 'weekday 0', '-7 days')) AS INTEGER) + 3600) THEN 3600 ELSE 0 END, 'unixepoch') AS d, r.team_id, r.source, EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = r.child_id AND p.id <> r.id AND p.received_at >= r.received_at - 31536000 AND (p.received_at < r.received_at OR (p.received_at = r.received_at AND p.id < r.id))) AS m
         FROM referrals r WHERE r.rereferral IS NOT EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = r.child_id AND p.id <> r.id AND p.received_at >= r.received_at - 31536000 AND (p.received_at < r.received_at OR (p.received_at = r.received_at AND p.id < r.id))))
    GROUP BY d, team_id, source
    ON CONFLICT (day, team_id, measure, key) DO UPDATE SET n = n + excluded.n;
UPDATE referrals AS r SET rereferral = EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = r.child_id AND p.id <> r.id AND p.received_at >= r.received_at - 31536000 AND (p.received_at < r.received_at OR (p.received_at = r.received_at AND p.id < r.id))) WHERE r.rereferral IS NOT EXISTS (SELECT 1 FROM referrals p WHERE p.child_id = r.child_id AND p.id <> r.id AND p.received_at >= r.received_at - 31536000 AND (p.received_at < r.received_at OR (p.received_at = r.received_at AND p.id < r.id)));
