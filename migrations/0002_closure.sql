-- dutydesk schema, version 2: the closure checklist (Rec 26, Rec 40).
-- One row per referral and item: either when it was done, or the recorded
-- reason why it was not. Re-recording an item replaces the row; the event log
-- keeps every version (who recorded what, and when).

CREATE TABLE closure_checklist (
    id               INTEGER PRIMARY KEY,
    referral_id      INTEGER NOT NULL REFERENCES referrals(id),
    item             TEXT NOT NULL CHECK (item IN ('child_seen_alone', 'child_seen',
                         'carers_seen', 'accommodation_visited', 'professionals_views',
                         'plan_agreed')),
    done_at          INTEGER,          -- when the step happened
    reason_not_done  TEXT,             -- or why it was not taken
    note             TEXT,
    recorded_at      INTEGER NOT NULL,
    recorded_by      TEXT NOT NULL REFERENCES staff(login),
    CHECK ((done_at IS NULL) <> (reason_not_done IS NULL)),
    UNIQUE (referral_id, item)
) STRICT;

-- Audit by member of staff (real login as well as acting login).
CREATE INDEX events_real ON events(real_login, id);
-- Chronology entries that mark another event significant.
CREATE INDEX events_kind_child ON events(kind, child_id) WHERE kind = 'marked_significant';
