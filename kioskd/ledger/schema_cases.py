"""Migration 6: cases (差错) on payments and claims, their steps and their outcomes (issue 17).
"""

from __future__ import annotations

V6_CASES: tuple[str, ...] = (
    # Cases (差错/投诉): a payment that went wrong, or a customer's claim that a note was not
    # counted. `amount` is the cash the case is about: the payment's, or the claimed note.
    """CREATE TABLE cases (
        id TEXT PRIMARY KEY NOT NULL,
        no INTEGER NOT NULL UNIQUE CHECK (typeof(no) = 'integer' AND no >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('payment', 'claim')),
        txn TEXT REFERENCES txns(id),
        account TEXT,
        amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
        claimed_at TEXT,
        phone TEXT,
        contact_erased TEXT,
        opened TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'waiting', 'resolved', 'rejected')),
        closed TEXT,
        count_session TEXT,
        found INTEGER CHECK (found IS NULL OR found IN (0, 1)),
        CHECK ((kind = 'payment') = (txn IS NOT NULL AND account IS NOT NULL AND claimed_at IS NULL)),
        CHECK ((kind = 'claim') = (txn IS NULL AND claimed_at IS NOT NULL)),
        CHECK ((status IN ('resolved', 'rejected')) = (closed IS NOT NULL)),
        CHECK (phone IS NULL OR contact_erased IS NULL),
        CHECK ((count_session IS NULL) = (found IS NULL))
    )""",
    # one case at a time is open on a payment
    "CREATE UNIQUE INDEX cases_one_open_per_payment ON cases(txn) WHERE txn IS NOT NULL AND closed IS NULL",
    """CREATE TRIGGER cases_on_cash BEFORE INSERT ON cases WHEN NEW.txn IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM txns WHERE id = NEW.txn AND seq IS NOT NULL AND amount = NEW.amount
            AND account = NEW.account)
       BEGIN SELECT RAISE(ABORT, 'a payment case is about a payment that took cash, all of it'); END""",
    """CREATE TRIGGER cases_fixed BEFORE UPDATE OF id, no, kind, txn, account, amount, claimed_at, opened, opened_by
       ON cases BEGIN SELECT RAISE(ABORT, 'what a case is about never changes'); END""",
    """CREATE TRIGGER cases_stay_closed BEFORE UPDATE OF status, closed ON cases
       WHEN OLD.closed IS NOT NULL AND (NEW.status IS NOT OLD.status OR NEW.closed IS NOT OLD.closed)
       BEGIN SELECT RAISE(ABORT, 'a closed case stays closed'); END""",
    """CREATE TRIGGER cases_count_once BEFORE UPDATE OF count_session, found ON cases
       WHEN OLD.count_session IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a claim is checked against one count'); END""",
    """CREATE TRIGGER cases_phone_only_erased BEFORE UPDATE OF phone ON cases
       WHEN NEW.phone IS NOT NULL AND NEW.phone IS NOT OLD.phone
       BEGIN SELECT RAISE(ABORT, 'a phone number is only ever erased'); END""",
    """CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
       BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END""",
    # Every step of a case, in order; the batch carries them as `case` records.
    """CREATE TABLE case_steps (
        id INTEGER PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id),
        step TEXT NOT NULL CHECK (step IN ('opened', 'note', 'count_checked', 'recredit', 'void', 'refund',
                                            'writeoff', 'closed', 'contact_erased')),
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'waiting', 'resolved', 'rejected')),
        data TEXT NOT NULL
    )""",
    "CREATE INDEX case_steps_case ON case_steps(case_id)",
    """CREATE TRIGGER case_steps_no_update BEFORE UPDATE ON case_steps
       BEGIN SELECT RAISE(ABORT, 'case steps are append-only'); END""",
    """CREATE TRIGGER case_steps_no_delete BEFORE DELETE ON case_steps
       BEGIN SELECT RAISE(ABORT, 'case steps are append-only'); END""",
    # What became of a case's cash. One outcome stands per cash (a refused one frees it);
    # none ever changes the payment it is about.
    """CREATE TABLE case_outcomes (
        id TEXT PRIMARY KEY NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id),
        cash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('recredit', 'void', 'refund', 'writeoff')),
        amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
        account TEXT,
        holder TEXT,
        reason TEXT NOT NULL,
        by TEXT NOT NULL,
        approved_by TEXT,
        state TEXT NOT NULL CHECK (state IN ('requested', 'done', 'refused')),
        at TEXT NOT NULL,
        answered TEXT,
        ref TEXT,
        answer TEXT,
        payload TEXT,
        CHECK (kind != 'refund' OR (approved_by IS NOT NULL AND approved_by != by)),
        CHECK (kind NOT IN ('recredit', 'void') OR (account IS NOT NULL AND payload IS NOT NULL)),
        CHECK ((state = 'requested') = (answered IS NULL))
    )""",
    "CREATE UNIQUE INDEX case_outcomes_one_per_cash ON case_outcomes(cash) WHERE state != 'refused'",
    """CREATE TRIGGER case_outcomes_whole_cash BEFORE INSERT ON case_outcomes WHEN NOT EXISTS (
         SELECT 1 FROM cases WHERE id = NEW.case_id AND amount = NEW.amount
            AND COALESCE(txn, 'claim:' || id) = NEW.cash)
       BEGIN SELECT RAISE(ABORT, 'an outcome disposes of all of its case''s cash'); END""",
    # a void moves credited cash; the others dispose of cash the backend did not credit, or of
    # a claimed note a count found
    """CREATE TRIGGER case_outcomes_fit_the_cash BEFORE INSERT ON case_outcomes WHEN
         CASE WHEN NEW.cash LIKE 'claim:%'
              THEN NEW.kind = 'void' OR (SELECT found FROM cases WHERE id = NEW.case_id) IS NOT 1
              ELSE (NEW.kind = 'void') != ((SELECT state FROM txns WHERE id = NEW.cash) IS 'credited') END
       BEGIN SELECT RAISE(ABORT, 'this outcome does not fit this cash'); END""",
    """CREATE TRIGGER case_outcomes_answered_once BEFORE UPDATE ON case_outcomes
       WHEN OLD.state != 'requested' OR NEW.state = 'requested'
            OR NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id OR NEW.cash IS NOT OLD.cash
            OR NEW.kind IS NOT OLD.kind OR NEW.amount IS NOT OLD.amount OR NEW.account IS NOT OLD.account
            OR NEW.by IS NOT OLD.by OR NEW.payload IS NOT OLD.payload
       BEGIN SELECT RAISE(ABORT, 'an outcome is answered once and otherwise never changes'); END""",
    """CREATE TRIGGER case_outcomes_no_delete BEFORE DELETE ON case_outcomes
       BEGIN SELECT RAISE(ABORT, 'case outcomes are never deleted'); END""",
)
