-- Passkeys (WebAuthn): a person's way to log in and unlock their keys on a device
-- without typing the password and the account key. The relay keeps what verifies the
-- passkey's signatures (its public key and counter, as `webauthn-rs` serialises it) and
-- what the passkey unlocks, sealed in the browser under a key derived from the passkey's
-- PRF output — which the relay never sees: the sealed value is as unguessable as a
-- 256-bit key, a copy of the database opens nothing with it.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,                   -- public id (random), to list and remove it
    user_id TEXT NOT NULL REFERENCES users (id),
    credential_id TEXT NOT NULL UNIQUE,    -- base64url, as the authenticator names it
    credential TEXT NOT NULL,              -- webauthn-rs Passkey (public key, counter), JSON
    sealed_unlock BYTEA NOT NULL,          -- pli_crypto::passkey, sealed in the browser
    device TEXT NOT NULL,                  -- where it was added (browser · system)
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- WebAuthn ceremonies under way (registration or login), each used once: the challenge
-- and what it allows, as `webauthn-rs` serialises them, found by the hash of the id the
-- browser holds. Kept in the database, not a relay's memory, so that any replica can
-- finish what another began.
CREATE TABLE webauthn_ceremonies (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT,                          -- NULL for a login to an unknown address
    kind TEXT NOT NULL,                    -- 'register' | 'login'
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
