-- What kind of file this is, fixed when it is created (DESIGN.md, Command
-- line): a training database (made by `demo` or `init --training`), where
-- DUTYDESK_NOW and DUTYDESK_USER may fix the clock and act as someone else,
-- or a live one, where both are refused. One row, written once by the first
-- `init` or `demo`, never changed: the triggers refuse UPDATE and DELETE, and
-- the CHECK a second row. A file without the row (made before this version)
-- is live.
CREATE TABLE file_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    training INTEGER NOT NULL CHECK (training IN (0, 1)),
    created_at INTEGER NOT NULL
);

CREATE TRIGGER file_identity_no_update BEFORE UPDATE ON file_identity
BEGIN
    SELECT RAISE(ABORT, 'whether a database is for training is fixed when it is created');
END;

CREATE TRIGGER file_identity_no_delete BEFORE DELETE ON file_identity
BEGIN
    SELECT RAISE(ABORT, 'whether a database is for training is fixed when it is created');
END;
