-- inbox_due indexed every activity by (processed_at, received_at). Its part
-- for activities not yet handled only ever served the claim's look-up of
-- leased senders, and it filled up with an entry for every lease written
-- (a lease is an update that changes an indexed column): one load run left
-- 29,000 entries there for 440 activities, and every claim walked them all.
-- The leased senders are read through inbox_activities_leased now, and the
-- purge of handled activities through this index of the handled ones only.
DROP INDEX inbox_due;
CREATE INDEX inbox_processed ON inbox_activities (processed_at) WHERE processed_at IS NOT NULL;
