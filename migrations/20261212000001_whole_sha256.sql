-- Issue 12: the relay hashes each uploaded byte once (the part's Content-Digest); it no
-- longer carries each object's running SHA-256 from part to part (`hash_state`, `sha256`).
-- A format 1 envelope (older clients) binds the whole object's SHA-256: the relay reads
-- the object back at completion and keeps the hash here, so that completing again does
-- not read it again. A new column rather than `sha256`: during a rolling upgrade a relay
-- of before would still write `sha256` from a running hash that upgraded relays no longer
-- feed, which is wrong for an object whose parts both kinds took.
ALTER TABLE objects ADD COLUMN whole_sha256 BYTEA;
