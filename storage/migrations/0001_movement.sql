-- The movement an instance hosts: one row, made at setup.
CREATE TABLE movement (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    handle      TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    created_at  {{timestamp}} NOT NULL,
    updated_at  {{timestamp}} NOT NULL
);

-- The movement's RSA key pair, generated once on first start and kept:
-- remote servers cache the public key, so it must not change on a restart.
CREATE TABLE movement_keys (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    private_key_pem  TEXT NOT NULL,
    public_key_pem   TEXT NOT NULL,
    created_at       {{timestamp}} NOT NULL
);
