-- 0011: the open cases with a deadline carry every column their readers test
-- (SPEC §10). Append-only.
--
-- The overdue cases of a big county number tens of thousands. A list with a
-- filter (status, kind, grade, supervision, filing dates, scope) reads them
-- all before it keeps the newest, and the KPIs of a period read those still
-- open from before it: with the columns in the index neither visits a row.
-- The index holds open cases only, so filing never touches it.
DROP INDEX cases_due;
CREATE INDEX cases_due ON cases (deadline, status, kind, grade, supervised, police_referred, reported_at,
    grid_code, reporter_id, enterprise_id, reach_code, category_code, lon, lat, closed_at, rework_count,
    extension_count)
    WHERE deadline IS NOT NULL AND status NOT IN ('closed', 'cancelled');
