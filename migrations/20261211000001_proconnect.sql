-- Issue 13: ProConnect (OpenID Connect) sign-in.
-- An organisation's SIRET numbers (space-separated, each checked by the relay: the
-- establishments whose agents ProConnect may vouch for) and whether its people must sign
-- in with ProConnect before unlocking their keys ('required' | 'optional').
ALTER TABLE organisations ADD COLUMN sirets TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN proconnect TEXT NOT NULL DEFAULT 'optional';
-- The ProConnect identity (`sub`) an account is tied to, from its first ProConnect
-- sign-in (found then by its address); afterwards found by it alone.
ALTER TABLE users ADD COLUMN proconnect_sub TEXT;
CREATE UNIQUE INDEX users_proconnect_sub ON users (proconnect_sub);
-- A session that began with ProConnect keeps its identity token, sealed with the server
-- key (never in clear), to end the ProConnect session at logout (`id_token_hint`).
ALTER TABLE sessions ADD COLUMN proconnect_token BYTEA;
-- The ceremonies table now also holds ProConnect sign-ins under way ('proconnect': the
-- state's hash, what the return must match, sealed) and their tickets ('proconnect_ticket':
-- a browser's sign-in waiting for its keys to be unlocked), each used once.
ALTER TABLE webauthn_ceremonies RENAME TO ceremonies;
-- Found by kind and age: what is still under way (the caps), what is stale (maintenance).
CREATE INDEX ceremonies_expiry ON ceremonies (expires_at);
