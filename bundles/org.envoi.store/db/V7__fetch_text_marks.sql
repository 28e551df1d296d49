-- Envoi store, version 7: marks that are one opaque text per mailbox (Microsoft Graph's delta link), replaced at each
-- save once the mails they cover are kept.
CREATE TABLE IF NOT EXISTS fetch_text_mark (
  mailbox VARCHAR(512) PRIMARY KEY,
  mark VARCHAR(1000000) NOT NULL,
  updated TIMESTAMP WITH TIME ZONE NOT NULL
);
