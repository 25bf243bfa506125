-- Sign-in limits, shared by every process on the database (they were kept in
-- each process's memory, so each process allowed its own share of guesses).

-- One row per account name tried recently: how many attempts since its last
-- success, and when the last one started.
CREATE TABLE signin_accounts (
    account   TEXT PRIMARY KEY,
    attempts  INTEGER NOT NULL,
    last_at   {{timestamp}} NOT NULL
);
CREATE INDEX signin_accounts_last ON signin_accounts (last_at);

-- One row per attempt from an address within the window.
CREATE TABLE signin_attempts (
    id       {{serial}},
    address  TEXT NOT NULL,
    at       {{timestamp}} NOT NULL
);
CREATE INDEX signin_attempts_address ON signin_attempts (address, at);
CREATE INDEX signin_attempts_at ON signin_attempts (at);
