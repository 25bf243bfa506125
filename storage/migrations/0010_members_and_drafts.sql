-- What admins do to a member (suspend, reactivate), by whom and why: a
-- suspension stops someone from taking part, so it is on the record.
CREATE TABLE member_actions (
    id         {{serial}},
    member_id  BIGINT NOT NULL REFERENCES members(id),
    actor_id   BIGINT NOT NULL REFERENCES members(id),
    action     TEXT NOT NULL CHECK (action IN ('suspended', 'reactivated')),
    reason     TEXT NOT NULL DEFAULT '',
    at         {{timestamp}} NOT NULL
);
CREATE INDEX member_actions_member ON member_actions (member_id, id);

-- A draft's co-authors edit it with its author. A draft shared with the
-- members (shared_at set) can be read and commented on by every member
-- before voting opens; until then it stays between its authors and the
-- facilitators.
CREATE TABLE proposal_coauthors (
    proposal_id  BIGINT NOT NULL REFERENCES proposals(id),
    member_id    BIGINT NOT NULL REFERENCES members(id),
    added_at     {{timestamp}} NOT NULL,
    PRIMARY KEY (proposal_id, member_id)
);
CREATE INDEX proposal_coauthors_member ON proposal_coauthors (member_id);
ALTER TABLE proposals ADD COLUMN shared_at {{timestamp}};

-- The time zone a member reads times in ('' : the browser's, else UTC).
ALTER TABLE members ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
