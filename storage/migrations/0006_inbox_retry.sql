-- An activity whose handling failed for a passing reason (the database, a
-- remote server down) is tried again later, a few times, instead of being
-- dropped after the sender was told it was received.
ALTER TABLE inbox_activities ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox_activities ADD COLUMN next_attempt_at {{timestamp}};
