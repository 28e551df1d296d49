-- Envoi store, version 3: vault entries shared by several desks (a generic flow's mailbox on PostgreSQL), sealed
-- with the vault's key exactly like the vault's files, and the rows whose lock makes a refresh one step for all desks.
CREATE TABLE IF NOT EXISTS vault_entry (
  entry_key VARCHAR(400) PRIMARY KEY,
  flow_id VARCHAR(128) NOT NULL,
  sealed ${binary} NOT NULL,
  updated TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE TABLE IF NOT EXISTS vault_lock (
  entry_key VARCHAR(400) PRIMARY KEY
);
