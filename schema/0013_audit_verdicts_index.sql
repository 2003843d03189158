-- 0013: the last re-inspection verdict of a case without reading its audit
-- entries (SPEC §8 ledger 复查情况, §10). Append-only.
--
-- Only sign-offs and returns are in it, so filing and the other actions
-- never write it; the ledger reads the verdict from the index alone.
CREATE INDEX audit_log_verdicts ON audit_log (case_id, seq, at, action, comment)
    WHERE action IN ('approve', 'return');
