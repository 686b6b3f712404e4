-- Shift handovers (Rec 50): what the outgoing lead handed to the incoming
-- lead, frozen as a JSON snapshot with the event log's head at that moment,
-- and when the incoming lead acknowledged it.
CREATE TABLE handovers (
    id               INTEGER PRIMARY KEY,
    team_id          INTEGER REFERENCES teams(id),   -- NULL: every team
    given_at         INTEGER NOT NULL,
    given_by         TEXT NOT NULL,
    given_to         TEXT NOT NULL REFERENCES staff(login),
    shift_kind       TEXT NOT NULL CHECK (shift_kind IN ('day','out_of_hours')),
    shift_start      INTEGER NOT NULL,
    shift_end        INTEGER NOT NULL,
    notes            TEXT,
    snapshot_json    TEXT NOT NULL,
    head_count       INTEGER NOT NULL,
    head_hash        TEXT NOT NULL,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT
) STRICT;
CREATE INDEX handovers_team ON handovers(team_id, given_at);
CREATE INDEX handovers_pending ON handovers(given_to) WHERE acknowledged_at IS NULL;
