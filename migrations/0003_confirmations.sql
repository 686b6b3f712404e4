-- Rec 21: written confirmation of professional referrals, the chases made for
-- it, and the letters to referrers (acknowledgement; feedback on the action
-- taken: Haringey JAR 14, Kent Q3). Instants are INTEGER unix seconds UTC.

-- The written confirmation as received (one per referral). The referral's
-- written_confirmation action is completed at `received_at` in the same
-- transaction.
CREATE TABLE confirmations (
    referral_id  INTEGER PRIMARY KEY REFERENCES referrals(id),
    method       TEXT NOT NULL CHECK (method IN ('letter','email','secure_email','referral_form','portal')),
    received_at  INTEGER NOT NULL,   -- when it arrived
    logged_at    INTEGER NOT NULL,   -- when it was recorded here
    logged_by    TEXT NOT NULL REFERENCES staff(login),
    late_reason  TEXT
) STRICT;

-- Every chase of a referrer for their written confirmation, in order.
CREATE TABLE confirmation_chases (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals(id),
    method       TEXT NOT NULL CHECK (method IN ('phone','email')),
    chased_at    INTEGER NOT NULL,
    chased_by    TEXT NOT NULL REFERENCES staff(login),
    note         TEXT,
    logged_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX confirmation_chases_referral ON confirmation_chases(referral_id, chased_at, id);

-- Letters to referrers as drafted by dutydesk (body as written out), and when
-- each was sent. A letter sent without a draft here has no body.
CREATE TABLE referrer_letters (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals(id),
    kind         TEXT NOT NULL CHECK (kind IN ('acknowledgement','feedback')),
    body         TEXT,
    drafted_at   INTEGER,
    drafted_by   TEXT REFERENCES staff(login),
    sent_at      INTEGER,
    sent_by      TEXT REFERENCES staff(login),
    sent_method  TEXT CHECK (sent_method IS NULL OR sent_method IN ('letter','email','secure_email','portal'))
) STRICT;
CREATE INDEX referrer_letters_referral ON referrer_letters(referral_id, kind, id);

-- The confirmations screen and the queue header's count read only open
-- written_confirmation actions, in due order.
CREATE INDEX actions_confirmation_open ON actions(due_at, team_id, done_at)
    WHERE done_at IS NULL AND kind = 'written_confirmation';
