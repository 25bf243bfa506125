-- People with an account on the instance.
CREATE TABLE members (
    id                   {{serial}},
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL DEFAULT '',
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'facilitator', 'member')),
    status               TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    created_at           {{timestamp}} NOT NULL,
    updated_at           {{timestamp}} NOT NULL
);

-- Server-side sessions; the cookie holds a random token, this table its SHA-256.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    member_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at  {{timestamp}} NOT NULL,
    expires_at  {{timestamp}} NOT NULL
);
CREATE INDEX sessions_member ON sessions (member_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Invitation links; the link carries a random token, this table its SHA-256.
CREATE TABLE invitations (
    id          {{serial}},
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'facilitator', 'member')),
    created_by  BIGINT NOT NULL REFERENCES members (id),
    note        TEXT NOT NULL DEFAULT '',
    max_uses    INTEGER NOT NULL CHECK (max_uses >= 1),
    uses        INTEGER NOT NULL DEFAULT 0,
    expires_at  {{timestamp}} NOT NULL,
    revoked_at  {{timestamp}},
    created_at  {{timestamp}} NOT NULL
);

-- The one-time token that claims a fresh instance; deleted at setup.
CREATE TABLE setup_token (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    token       TEXT NOT NULL,
    created_at  {{timestamp}} NOT NULL
);
