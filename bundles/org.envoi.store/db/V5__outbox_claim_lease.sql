-- Envoi store, version 5: a claim holds its mails until claimed_until, which the sending process pushes forward while
-- it sends; another process (the CLI beside the desktop, another desk on a shared database) takes a SENDING mail back
-- only once its claim has lapsed. NULL: claimed by an Envoi before version 5, taken back at once.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_until TIMESTAMP WITH TIME ZONE;
