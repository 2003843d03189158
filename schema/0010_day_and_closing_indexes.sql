-- 0010: a filing-date range pages by day, and the KPIs find the cases closed
-- in a period without reading their rows (SPEC §10). Append-only.

-- Per day of filing, rows in rowid order: a date-filtered list reads one
-- index range per day, newest first, instead of every case filed since.
CREATE INDEX cases_day ON cases (substr(reported_at, 1, 10));

-- Signed-off cases with their filing time in the index: "closed in the
-- period, filed before it" is decided on the index alone.
DROP INDEX cases_closed;
CREATE INDEX cases_closed ON cases (closed_at, reported_at) WHERE closed_at IS NOT NULL;
