-- Common ground is agreed by both movements: each side's decision about a
-- pair (one of our items, one of an ally's) is kept, ours and theirs.
CREATE TABLE pair_decisions (
    id           {{serial}},
    ally         TEXT NOT NULL,
    our_item     TEXT NOT NULL,
    their_item   TEXT NOT NULL,
    side         TEXT NOT NULL CHECK (side IN ('ours', 'theirs')),
    decision     TEXT NOT NULL CHECK (decision IN ('confirmed', 'rejected', 'cleared')),
    decided_by   BIGINT REFERENCES members (id),
    decided_at   {{timestamp}} NOT NULL,
    activity_id  TEXT NOT NULL DEFAULT '',
    UNIQUE (ally, our_item, their_item, side)
);

-- Our decisions so far, about one of our objectives and an ally's: keys are
-- "self|item" and "actor|item", the smaller first (an actor id, "http…",
-- sorts before "self"). A link by hand is a confirmation. Decisions about
-- two allies' objectives are not ours to share and are dropped.
INSERT INTO pair_decisions (ally, our_item, their_item, side, decision, decided_by, decided_at)
    SELECT substr(a, 1, {{strpos}}(a, '|') - 1), substr(b, 6), substr(a, {{strpos}}(a, '|') + 1), 'ours',
        CASE decision WHEN 'rejected' THEN 'rejected' ELSE 'confirmed' END, decided_by, decided_at
    FROM match_decisions WHERE b LIKE 'self|%' AND a NOT LIKE 'self|%';
DROP TABLE match_decisions;

-- Sentence embeddings, computed once per text and model when a statement
-- is adopted or received, never on a page view. hash names the text.
CREATE TABLE text_vectors (
    hash    TEXT NOT NULL,
    model   TEXT NOT NULL,
    vector  {{bytes}} NOT NULL,
    PRIMARY KEY (hash, model)
);
