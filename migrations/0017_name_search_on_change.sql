-- dutydesk schema: the children's name search rewritten only when a name or
-- an address changes (issue 18).
--
-- children_fts_au (0001) fired on every update that set the name or the
-- address column, and `store::update_child` sets every column: a date of
-- birth, a first language or an interpreter need recorded deleted the
-- child's rows from the trigram index and wrote them again, unchanged (in
-- the demo's census pass, for a tenth of all children). The index's content
-- is the same either way; only the work goes.

DROP TRIGGER children_fts_au;
CREATE TRIGGER children_fts_au AFTER UPDATE OF name, address ON children
    WHEN old.name IS NOT new.name OR old.address IS NOT new.address
BEGIN
    INSERT INTO children_fts(children_fts, rowid, name, address) VALUES ('delete', old.id, old.name, old.address);
    INSERT INTO children_fts(rowid, name, address) VALUES (new.id, new.name, new.address);
END;
