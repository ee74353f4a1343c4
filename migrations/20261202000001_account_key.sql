-- Which secrets an account's keys are derived from: 1, the password alone (accounts
-- created before the account key); 2, the password and the account key, which the
-- relay never sees (see pli-crypto's password.rs).
ALTER TABLE users ADD COLUMN kdf_version BIGINT NOT NULL DEFAULT 1;
