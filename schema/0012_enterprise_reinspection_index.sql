-- 0012: closed premises in the order they fall due a re-inspection (SPEC §4,
-- §10). Append-only.
--
-- The re-inspection list pages over this index: the due date is computed
-- exactly as the store computes it (the last re-inspection, or the closing
-- day, plus the premises' interval), and only closed premises are in it.
CREATE INDEX enterprises_reinspection ON enterprises
    (date(coalesce(last_reinspected_on, closed_on), '+' || reinspect_days || ' days'), id)
    WHERE governance = 'closed';
