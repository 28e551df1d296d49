package org.envoi.vault.internal;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;

/**
 * Vault entries in the shared database (tables of the store's migration V3), sealed with the vault's key as the files
 * are: the database holds ciphertext only. {@link #withLock} holds a row lock ({@code SELECT ... FOR UPDATE}) for the
 * duration of the work, so desks sharing a mailbox refresh its token one at a time and each sees the other's result.
 */
public final class JdbcTokenVault implements TokenVault {

    /** The row that proves which key seals this database; its entry key has no '|', so it is no entry's. */
    private static final String CHECK_KEY = "envoi-vault-key-check";
    private static final String CHECK_AAD = "envoi-shared-vault-key-check";

    private final DataSource db;
    private final VaultCipher cipher;
    private final String keySource;
    /** Set once this desk's key is proved to be the database's; a refusal is not kept (the check row may come). */
    private volatile boolean keyChecked;

    public JdbcTokenVault(DataSource db, byte[] masterKey) {
        this(db, masterKey, "this desk's vault key");
    }

    /** @param keySource says where the key came from, for error messages */
    public JdbcTokenVault(DataSource db, byte[] masterKey, String keySource) {
        this.db = db;
        this.cipher = new VaultCipher(masterKey);
        this.keySource = keySource;
    }

    /**
     * Proves that this desk's key is the one the shared entries are sealed with, before anything is read or written:
     * a desk with another key would otherwise overwrite the shared mailbox's tokens and every other desk would fail.
     * The first desk seals a check row; a database from before the check gets it only from a key that opens one of its
     * entries, so a desk with another key arriving first cannot claim it.
     */
    private void checkKey() {
        if (keyChecked) {
            return;
        }
        synchronized (this) {
            if (keyChecked) {
                return;
            }
            try (Connection c = db.getConnection()) {
                byte[] check = sealedOf(c, CHECK_KEY);
                if (check == null) {
                    if (!opensAnEntry(c)) {
                        throw wrongKey();
                    }
                    try (PreparedStatement p = c.prepareStatement(
                            "INSERT INTO vault_entry (entry_key, flow_id, sealed, updated) VALUES (?, '', ?, ?)")) {
                        p.setString(1, CHECK_KEY);
                        p.setBytes(2, cipher.seal(CHECK_AAD, CHECK_AAD.getBytes(StandardCharsets.UTF_8)));
                        p.setTimestamp(3, Timestamp.from(Instant.now()));
                        p.executeUpdate();
                    } catch (SQLException e) {
                        if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
                            throw e;
                        }
                        check = sealedOf(c, CHECK_KEY); // another desk sealed it at the same moment
                    }
                }
                if (check != null) {
                    cipher.open(CHECK_AAD, check);
                }
                keyChecked = true;
            } catch (VaultCipher.DamagedEntryException e) {
                throw wrongKey();
            } catch (SQLException e) {
                throw error("the key check cannot be read: " + e.getMessage(), e);
            }
        }
    }

    /** True when the table has no entry yet, or this key opens one of them. */
    private boolean opensAnEntry(Connection c) throws SQLException {
        boolean any = false;
        try (PreparedStatement p = c.prepareStatement("SELECT entry_key, sealed FROM vault_entry WHERE entry_key <> ?")) {
            p.setString(1, CHECK_KEY);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    any = true;
                    try {
                        cipher.open(r.getString(1), r.getBytes(2));
                        return true;
                    } catch (VaultCipher.DamagedEntryException e) {
                        // another key, or this entry is damaged: look at the next one
                    }
                }
            }
        }
        return !any;
    }

    private static byte[] sealedOf(Connection c, String entryKey) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT sealed FROM vault_entry WHERE entry_key = ?")) {
            p.setString(1, entryKey);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getBytes(1) : null;
            }
        }
    }

    private EnvoiException wrongKey() {
        return error("the entries in the shared database were sealed with another key than this desk's (from "
                + keySource + "): every desk must use the same key, so set ENVOI_VAULT_KEY on this desk to the key the"
                + " other desks use (base64 of 32 bytes). Nothing was read or written", null);
    }

    @Override
    public Optional<String> read(VaultKey key) {
        checkKey();
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT sealed FROM vault_entry WHERE entry_key = ?")) {
            p.setString(1, key.canonical());
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new String(cipher.open(key.canonical(), r.getBytes(1)), StandardCharsets.UTF_8));
            }
        } catch (VaultCipher.DamagedEntryException e) {
            throw error("the shared entry " + describe(key) + " cannot be opened: " + e.getMessage()
                    + "; every desk must use the same vault key (ENVOI_VAULT_KEY)", null);
        } catch (SQLException e) {
            throw error("the shared entry " + describe(key) + " cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public void write(VaultKey key, String value) {
        checkKey();
        byte[] sealed = cipher.seal(key.canonical(), value.getBytes(StandardCharsets.UTF_8));
        Timestamp now = Timestamp.from(Instant.now());
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                int n;
                try (PreparedStatement p = c.prepareStatement(
                        "UPDATE vault_entry SET sealed = ?, updated = ? WHERE entry_key = ?")) {
                    p.setBytes(1, sealed);
                    p.setTimestamp(2, now);
                    p.setString(3, key.canonical());
                    n = p.executeUpdate();
                }
                if (n == 0) {
                    try (PreparedStatement p = c.prepareStatement(
                            "INSERT INTO vault_entry (entry_key, flow_id, sealed, updated) VALUES (?, ?, ?, ?)")) {
                        p.setString(1, key.canonical());
                        p.setString(2, key.flowId());
                        p.setBytes(3, sealed);
                        p.setTimestamp(4, now);
                        p.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw error("the shared entry " + describe(key) + " cannot be written (the previous value is kept): "
                    + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(VaultKey key) {
        checkKey();
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "DELETE FROM vault_entry WHERE entry_key = ?")) {
            p.setString(1, key.canonical());
            return p.executeUpdate() > 0;
        } catch (SQLException e) {
            throw error("the shared entry " + describe(key) + " cannot be deleted: " + e.getMessage(), e);
        }
    }

    @Override
    public List<VaultKey> keys(String flowId) {
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT entry_key FROM vault_entry WHERE flow_id = ? ORDER BY entry_key")) {
            p.setString(1, flowId);
            List<VaultKey> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    String[] parts = r.getString(1).split("\\|", 3);
                    out.add(new VaultKey(parts[0], parts[1], parts[2]));
                }
            }
            return out;
        } catch (SQLException e) {
            throw error("the shared entries of flow " + flowId + " cannot be listed: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T withLock(VaultKey key, Supplier<T> work) {
        checkKey();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (!lockRow(c, key)) {
                    insertLockRow(key);
                    if (!lockRow(c, key)) {
                        throw new SQLException("the lock row of " + describe(key) + " vanished");
                    }
                }
                T result = work.get();
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw error("the shared entry " + describe(key) + " cannot be locked: " + e.getMessage(), e);
        }
    }

    private static boolean lockRow(Connection c, VaultKey key) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT entry_key FROM vault_lock WHERE entry_key = ? FOR UPDATE")) {
            p.setString(1, key.canonical());
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    /** Creates the lock row in its own transaction; another desk creating it at the same moment is fine. */
    private void insertLockRow(VaultKey key) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "INSERT INTO vault_lock (entry_key) VALUES (?)")) {
            p.setString(1, key.canonical());
            p.executeUpdate();
        } catch (SQLException e) {
            if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) { // 23xxx: it exists already
                throw e;
            }
        }
    }

    private static String describe(VaultKey key) {
        return key.kind() + " of flow " + key.flowId() + " for " + key.operatorId();
    }

    private static EnvoiException error(String message, Throwable cause) {
        return new EnvoiException(ErrorCode.VAULT_ERROR, null, "Envoi's shared vault: " + message, cause);
    }
}
