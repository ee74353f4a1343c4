-- Issue 13: service accounts. A case-management program's own account in an
-- organisation, enrolled by `pli service enrol` on the integrating machine from a link its
-- admin issued (1: a service account; 0: a person). It logs in with a secret generated on
-- that machine and holds no second factor (the organisation's rule does not apply to it);
-- its admin revokes it by removing it, or replaces its secret and keys with a reset.
ALTER TABLE users ADD COLUMN service BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invitations ADD COLUMN service BIGINT NOT NULL DEFAULT 0;
