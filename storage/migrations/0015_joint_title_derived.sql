-- A joint statement's title is read from its versions: the stored copy
-- (which 0008 made NOT NULL, and new statements no longer write) goes.
ALTER TABLE joint_statements DROP COLUMN title;
