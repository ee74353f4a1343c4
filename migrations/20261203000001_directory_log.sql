-- The key directory's transparency log (pli-log): every signed statement of the
-- directory, in order (`idx` from 0), the Merkle tree's stored hashes (tlog_tiles'
-- numbering), the tree's right edge to append the next entry, the latest checkpoint
-- with its witnesses' cosignatures, and the size each witness last cosigned.
CREATE TABLE log_entries (
    idx BIGINT PRIMARY KEY,
    leaf BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE log_hashes (
    idx BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);

CREATE TABLE log_head (
    id BIGINT PRIMARY KEY,
    size BIGINT NOT NULL,
    frontier TEXT NOT NULL,
    checkpoint BYTEA
);

CREATE TABLE log_witnesses (
    name TEXT PRIMARY KEY,
    size BIGINT NOT NULL
);

-- The last checkpoint each person verified, signed by them (pli-crypto's
-- SeenCheckpoint): their next login, on any device, must find a log that extends it.
CREATE TABLE seen_checkpoints (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    signature BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);
