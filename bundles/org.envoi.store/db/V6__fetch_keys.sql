-- Envoi store, version 6: the keys (SHA-256 of the Message-ID, else of the headers) of the mails handed over from an
-- IMAP mailbox since its last renumbering, so that the re-sync after a new UIDVALIDITY skips them. At a re-sync the
-- keys of the old numbering are replaced by those of the renumbered mailbox's content.
CREATE TABLE IF NOT EXISTS fetch_key (
  mailbox VARCHAR(512) NOT NULL,
  mail_key VARCHAR(64) NOT NULL,
  uid_validity BIGINT NOT NULL,
  PRIMARY KEY (mailbox, mail_key)
);
