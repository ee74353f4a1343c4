-- Issue 10: a person's move to a post-quantum encryption key keeps their signing key,
-- which is then certified again: a signing key may have several certificates, the latest
-- one current (`superseded_at` NULL), the earlier ones kept for what they signed. The
-- fingerprint stops being the key of this table; SQLite cannot drop a primary key, so the
-- table is made again.
CREATE TABLE user_certificates_v2 (
    fingerprint TEXT NOT NULL,             -- hex fingerprint of the certified signing key
    user_id TEXT NOT NULL REFERENCES users (id),
    issuer_fingerprint TEXT NOT NULL,
    certificate BYTEA NOT NULL,
    certificate_signature BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    superseded_at BIGINT,
    PRIMARY KEY (fingerprint, created_at)
);
INSERT INTO user_certificates_v2
    (fingerprint, user_id, issuer_fingerprint, certificate, certificate_signature, created_at, superseded_at)
    SELECT fingerprint, user_id, issuer_fingerprint, certificate, certificate_signature, created_at, superseded_at
    FROM user_certificates;
DROP TABLE user_certificates;
ALTER TABLE user_certificates_v2 RENAME TO user_certificates;
CREATE INDEX user_certificates_user ON user_certificates (user_id);

-- A person's request to move to a post-quantum key (KeyUpgrade, signed by them) and the
-- new identity sealed under a key only their bundle gives (LaterIdentities). One per
-- account; a reset (new keys) deletes it.
CREATE TABLE key_upgrades (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    upgrade BYTEA NOT NULL,
    upgrade_signature BYTEA NOT NULL,
    later_identities BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
