-- A reset keeps the member's second factor unless the admin who issued it said the
-- member lost their authenticator too (1: accepting the reset clears it; 0: accepting
-- asks a current code of it). Links issued before this column keep it, as every link
-- now does by default. `issued_entry` is the sequence number, in the organisation's
-- audit chain, of the entry that issued the link, which the acceptance's entry names.
ALTER TABLE invitations ADD COLUMN clears_second_factor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invitations ADD COLUMN issued_entry BIGINT;
