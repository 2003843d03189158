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

-- The KPIs of a period read this covering index instead of the rows: filing
-- appends to it (reported_at grows), dispatch and sign-off rewrite an entry in place.
CREATE INDEX cases_kpi ON cases (reported_at, grid_code, reporter_id, deadline, closed_at, rework_count,
    extension_count, enterprise_id, reach_code, kind, grade, supervised, police_referred);
-- Cases signed off by day: the KPIs of a period include cases filed before it and closed in it.
CREATE INDEX cases_closed ON cases (closed_at) WHERE closed_at IS NOT NULL;

-- Patrol logs page newest walk first: over all logs (the office), per river
-- (the chiefs above), and per chief (patrols_by_chief already orders by start).
CREATE INDEX patrols_started ON patrols (started_s);
CREATE INDEX patrols_river_started ON patrols (river_code, started_s);

-- A month's documents (the batch download and the documents page).
CREATE INDEX documents_kind_issued ON documents (kind, issued_at);
-- Every chief's compliance in a month reads that month's logs.
CREATE INDEX patrols_month ON patrols (month);
