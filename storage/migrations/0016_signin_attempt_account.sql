-- A success gives back its own attempt, not the address's latest one (which
-- may be a guess at another account, started while the success's password
-- was being checked): each attempt names its account (hashed).
ALTER TABLE signin_attempts ADD COLUMN account TEXT NOT NULL DEFAULT '';
