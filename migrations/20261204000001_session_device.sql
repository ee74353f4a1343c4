-- What kind of device a session was opened from, as its owner reads it on « Mon compte »
-- to recognise and end its sessions: a coarse summary of the User-Agent header (browser
-- family and operating system, or "pli" for the command line), never the header itself.
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
