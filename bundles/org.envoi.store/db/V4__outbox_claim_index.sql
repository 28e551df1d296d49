-- Envoi store, version 4: the claim reads the oldest due mails of a state in the order of this index and stops at the
-- claim's size; with (state, next_attempt) H2 read and sorted every waiting mail at each claim.
DROP INDEX IF EXISTS outbox_due;
CREATE INDEX IF NOT EXISTS outbox_state_id ON outbox (state, id);
