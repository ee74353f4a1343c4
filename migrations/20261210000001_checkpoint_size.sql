-- Issue 14: the size of the tree the stored checkpoint covers. Replicas publish
-- checkpoints concurrently; one that signed a smaller tree and stores it last must not
-- replace a larger one another replica stored (0: none stored yet, or stored before this
-- column, which the next publication then replaces).
ALTER TABLE log_head ADD COLUMN checkpoint_size BIGINT NOT NULL DEFAULT 0;
