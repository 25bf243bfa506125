-- Several processes share the inbox: a process claims a sender's due
-- activities until leased_until, so no other process handles them meanwhile,
-- and none takes that sender's later ones until they are done, which keeps
-- each sender's order. A lease a crashed process leaves lapses by itself.
ALTER TABLE inbox_activities ADD COLUMN leased_until {{timestamp}};
CREATE INDEX inbox_activities_leased ON inbox_activities (actor) WHERE processed_at IS NULL AND leased_until IS NOT NULL;
