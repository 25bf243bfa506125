-- People's decisions about suggested matches: they win over the matcher.
-- a < b always; each is "actor id|item id" ("self|item id" for this movement).
CREATE TABLE match_decisions (
    a           TEXT NOT NULL,
    b           TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('confirmed', 'rejected', 'linked')),
    decided_by  BIGINT NOT NULL REFERENCES members (id),
    decided_at  {{timestamp}} NOT NULL,
    PRIMARY KEY (a, b)
);
