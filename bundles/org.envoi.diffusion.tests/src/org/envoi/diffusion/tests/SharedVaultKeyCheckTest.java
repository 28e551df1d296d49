package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.tests.servers.PostgresServer;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.api.vault.VaultKey;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;
import org.envoi.vault.internal.JdbcTokenVault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Desks share a generic flow's tokens through PostgreSQL, sealed with one vault key. A desk started with another key
 * must not overwrite them (every other desk would then fail): it writes nothing and says which key to set.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SharedVaultKeyCheckTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    static Path temp;
    private static PostgresServer postgres;
    private static int databases;

    private static final VaultKey BOX = VaultKey.tokens("shared-box", VaultKey.SHARED);
    private static final VaultKey SECRET = VaultKey.clientSecret("shared-box");

    @BeforeAll
    static void start() {
        postgres = PostgresServer.start(temp.resolve("pg"));
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
        TestServers.deleteQuietly(temp);
    }

    private static DataSource freshDatabase() throws Exception {
        DataSource db = StoreComponent.postgresql(postgres.createDatabase("keys" + (++databases)),
                PostgresServer.USER, "");
        Migrations.migrate(db);
        return db;
    }

    private static byte[] newKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    private static byte[] sealed(DataSource db, VaultKey key) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT sealed FROM vault_entry WHERE entry_key = ?")) {
            p.setString(1, key.canonical());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getBytes(1) : null;
            }
        }
    }

    private static void assertRefusedNamingTheKey(EnvoiException e) {
        assertEquals(ErrorCode.VAULT_ERROR, e.code());
        assertTrue(e.getMessage().contains("ENVOI_VAULT_KEY"), e.getMessage());
        assertTrue(e.getMessage().contains("another key"), e.getMessage());
    }

    @Test
    void aDeskWithAnotherKeyWritesNothingAndSaysWhichKeyToSet() throws Exception {
        DataSource db = freshDatabase();
        byte[] shared = newKey();
        JdbcTokenVault desk1 = new JdbcTokenVault(db, shared);
        desk1.write(BOX, "the shared mailbox's tokens");
        desk1.write(SECRET, "the client secret");
        byte[] boxBefore = sealed(db, BOX);
        byte[] secretBefore = sealed(db, SECRET);

        JdbcTokenVault desk2 = new JdbcTokenVault(db, newKey());
        assertRefusedNamingTheKey(assertThrows(EnvoiException.class, () -> desk2.write(BOX, "desk 2's tokens")));
        assertRefusedNamingTheKey(assertThrows(EnvoiException.class, () -> desk2.write(
                VaultKey.tokens("other-box", VaultKey.SHARED), "desk 2's tokens")));
        assertRefusedNamingTheKey(assertThrows(EnvoiException.class, () -> desk2.delete(SECRET)));
        assertRefusedNamingTheKey(assertThrows(EnvoiException.class, () -> desk2.read(BOX)));
        assertRefusedNamingTheKey(assertThrows(EnvoiException.class, () -> desk2.withLock(BOX, () -> "work")));

        assertArrayEquals(boxBefore, sealed(db, BOX), "the shared tokens are untouched");
        assertArrayEquals(secretBefore, sealed(db, SECRET), "the shared secret is untouched");
        assertNull(sealed(db, VaultKey.tokens("other-box", VaultKey.SHARED)), "no new entry either");
        assertEquals(Optional.of("the shared mailbox's tokens"), desk1.read(BOX));
        assertEquals(Optional.of("the shared mailbox's tokens"), new JdbcTokenVault(db, shared).read(BOX),
                "a desk with the shared key works");
        assertEquals(List.of(SECRET, BOX), desk1.keys("shared-box"), "the check is not an entry of any flow");
    }

    @Test
    void entriesFromBeforeTheCheckAreNotClaimedByADeskWithAnotherKey() throws Exception {
        DataSource db = freshDatabase();
        byte[] shared = newKey();
        new JdbcTokenVault(db, shared).write(BOX, "written before the check existed");
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            // what a database of the previous version holds: entries, no key check
            s.executeUpdate("DELETE FROM vault_entry WHERE entry_key NOT LIKE '%|%'");
        }
        byte[] before = sealed(db, BOX);

        JdbcTokenVault wrong = new JdbcTokenVault(db, newKey());
        assertRefusedNamingTheKey(assertThrows(EnvoiException.class, () -> wrong.write(BOX, "overwrite")));
        assertArrayEquals(before, sealed(db, BOX));

        JdbcTokenVault right = new JdbcTokenVault(db, shared);
        assertEquals(Optional.of("written before the check existed"), right.read(BOX));
        right.write(BOX, "written after");
        assertRefusedNamingTheKey(assertThrows(EnvoiException.class, () -> new JdbcTokenVault(db, newKey())
                .write(SECRET, "x")));
        assertFalse(new String(sealed(db, BOX), java.nio.charset.StandardCharsets.ISO_8859_1).contains("written"));
    }
}
