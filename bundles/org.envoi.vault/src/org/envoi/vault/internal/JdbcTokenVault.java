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

    private final DataSource db;
    private final VaultCipher cipher;

    public JdbcTokenVault(DataSource db, byte[] masterKey) {
        this.db = db;
        this.cipher = new VaultCipher(masterKey);
    }

    @Override
    public Optional<String> read(VaultKey key) {
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
