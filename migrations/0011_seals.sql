-- Seals: the record holds. After every change (one per write transaction)
-- dutydesk appends one seal: the rows of the state tables that the change
-- touched, each with a SHA-256 hash of its contents as stored (or "gone"),
-- the event log's last event at that moment, and a link to the seal before
-- it. `verify` replays the seals and names any row whose stored state differs
-- from its last seal: a row changed, inserted or deleted behind dutydesk's back.
--
-- The links (mac) are HMAC-SHA256 with the server's key (held outside the
-- database) from the seal that set the key up on; plain SHA-256 before that.
-- The sealed tables are listed once, in src/store/seals.rs (SEALED_TABLES;
-- UNSEALED_TABLES says why the others are not).
--
-- rows: grouped by table, [name length: 1 byte][table name][count: 4 bytes],
-- then per row [rowid: 8 bytes][1 = stored, 0 = gone][first 16 bytes of the
-- SHA-256 of the row, when stored]; numbers big endian.
-- An existing file gets every row sealed once when this migration is applied
-- (a `sealed_baseline` event), so it verifies from then on.

CREATE TABLE seals (
    id           INTEGER PRIMARY KEY,
    first_event  INTEGER,            -- the first event appended by this change (NULL: none)
    last_event   INTEGER NOT NULL,   -- the log's last event when sealed (0: empty log)
    event_hash   TEXT NOT NULL,      -- that event's hash
    rows         BLOB NOT NULL,
    keyed        INTEGER NOT NULL CHECK (keyed IN (0, 1)),
    prev_mac     TEXT NOT NULL,
    mac          TEXT NOT NULL
) STRICT;
CREATE INDEX seals_keyed ON seals(id) WHERE keyed = 1;

CREATE TRIGGER seals_no_update BEFORE UPDATE ON seals
BEGIN SELECT RAISE(ABORT, 'seals are append-only: they cannot be changed'); END;
CREATE TRIGGER seals_no_delete BEFORE DELETE ON seals
BEGIN SELECT RAISE(ABORT, 'seals are append-only: they cannot be deleted'); END;

-- The outcome of the last full `verify`, so every screen and command can
-- show a failed check without running it again. Diagnostic, not a record:
-- not sealed, holds no record text (table names and ids only).
CREATE TABLE verify_results (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    ok        INTEGER NOT NULL CHECK (ok IN (0, 1)),
    events    INTEGER NOT NULL,
    seals     INTEGER NOT NULL,
    with_key  INTEGER NOT NULL CHECK (with_key IN (0, 1)),
    problem   TEXT
) STRICT;

-- Finding the keyed part of the log's set-up event.
CREATE INDEX events_chain_keyed ON events(id) WHERE kind = 'chain_keyed';
