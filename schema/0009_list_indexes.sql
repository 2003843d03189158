-- 0009: the indexes the case lists page over at ten years of data (SPEC §10). Append-only.
--
-- Every list is keyset-paged newest first (overdue first), so each index below
-- serves one equality term with rows in rowid order within it (SQLite appends
-- the rowid to every index key). Filing pays for each index it inserts into:
-- only what a list needs is here.

-- (grid_code, status) gave no rowid order within a grid: replaced by (grid_code).
DROP INDEX cases_grid_status;
CREATE INDEX cases_grid ON cases (grid_code);
CREATE INDEX cases_status ON cases (status);
CREATE INDEX cases_reporter ON cases (reporter_id);
CREATE INDEX cases_enterprise ON cases (enterprise_id) WHERE enterprise_id IS NOT NULL;
CREATE INDEX cases_reach ON cases (reach_code) WHERE reach_code IS NOT NULL;

-- The open cases with a deadline: the only ones that can be overdue. New
-- filings have no deadline, so filing never touches these two.
CREATE INDEX cases_due ON cases (deadline)
    WHERE deadline IS NOT NULL AND status NOT IN ('closed', 'cancelled');
CREATE INDEX cases_due_grid ON cases (grid_code)
    WHERE deadline IS NOT NULL AND status NOT IN ('closed', 'cancelled');
