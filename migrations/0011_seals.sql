-- Seals: the record holds. After every change (one per write transaction)
-- dutydesk appends one seal: the rows of the state tables that the change
-- touched, each with a SHA-256 hash of its contents as stored (or "gone"),
-- the event log's last event at that moment, and a link to the seal before
-- it. `verify` replays the seals and names any row whose stored state differs
-- from its last seal: a row changed, inserted or deleted behind dutydesk's back.
--
-- The links (mac) are HMAC-SHA256 with the server's key (held outside the
-- database) from the seal that set the key up on; plain SHA-256 before that.
-- The sealed tables are listed once, in src/store/seals/mod.rs (SEALED_TABLES;
-- UNSEALED_TABLES says why the others are not).
--
-- rows: grouped by table, [name length: 1 byte][table name][count: 4 bytes],
-- then per row [rowid: 8 bytes][1 = stored, 0 = gone][first 16 bytes of the
-- SHA-256 of the row, when stored]; numbers big endian.
-- An existing file gets every row sealed once when this migration is applied
-- (a `sealed_baseline` event), so it verifies from then on.

-- The settings table (migrations 0009, 0010) is WITHOUT ROWID, which SQLite's
-- update hook never reports, so a change to it could not be sealed. It is
-- rebuilt with a rowid (the key stays unique, so `ON CONFLICT (key)` holds);
-- rows are kept, and sealed with every other row below.
CREATE TABLE settings_0011 (
    id     INTEGER PRIMARY KEY,
    key    TEXT NOT NULL UNIQUE CHECK (
               key = 'timescales.profile'
               OR (key GLOB 'timescales.override.[a-z]*' AND key NOT GLOB '*[^a-z_.]*')
               OR key GLOB 'calendar.closure.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key GLOB 'calendar.not_holiday.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key GLOB 'calendar.bank_holiday.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    value  TEXT NOT NULL CHECK (length(value) <= 100),
    CHECK (key NOT GLOB 'calendar.*' OR value = '')
) STRICT;
INSERT INTO settings_0011 (key, value) SELECT key, value FROM settings ORDER BY key;
DROP TABLE settings;
ALTER TABLE settings_0011 RENAME TO settings;

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
