-- Whether an organisation's members must use two-factor authentication ('required' |
-- 'optional'; its admins always must). Required by default, for the organisations that
-- exist too: their members without a second factor are asked to enrol one at their next
-- request, before they can send or read; an organisation admin may relax it.
ALTER TABLE organisations ADD COLUMN second_factor TEXT NOT NULL DEFAULT 'required';
