-- A patrol filing's Idempotency-Key now remembers the SHA-256 of the request
-- it answered, so the same key with a different body is refused (409), as for
-- cases. Keys recorded before this have none and are taken as matching.
ALTER TABLE patrol_idempotency ADD COLUMN request_sha256 TEXT;
