package org.envoi.vault.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.envoi.api.vault.VaultKey;
import org.envoi.vault.internal.JdbcTokenVault;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/**
 * The shared (database) vault keeps each resource's tokens in a row of their own, lists them with the flow, and locks
 * them one by one: a refresh of one resource does not wait for another's. H2 in memory with the tables of the store's
 * migration V3 (PostgreSQL runs the same statements in the diffusion tests).
 */
class JdbcTokenVaultResourceTest {

    private static JdbcTokenVault vault() throws Exception {
        JdbcDataSource db = new JdbcDataSource();
        db.setURL("jdbc:h2:mem:vault-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE vault_entry (entry_key VARCHAR(400) PRIMARY KEY, flow_id VARCHAR(128) NOT NULL,"
                    + " sealed BLOB NOT NULL, updated TIMESTAMP WITH TIME ZONE NOT NULL)");
            s.execute("CREATE TABLE vault_lock (entry_key VARCHAR(400) PRIMARY KEY)");
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new JdbcTokenVault(db, key);
    }

    @Test
    void eachResourceIsARowOfItsOwnListedAndLockedAlone() throws Exception {
        JdbcTokenVault vault = vault();
        VaultKey own = VaultKey.tokens("generic", VaultKey.SHARED, "");
        VaultKey graph = VaultKey.tokens("generic", VaultKey.SHARED, "graph");
        vault.write(own, "exchange tokens");
        vault.write(graph, "graph tokens");
        assertEquals(Optional.of("exchange tokens"), vault.read(own));
        assertEquals(Optional.of("graph tokens"), vault.read(graph));
        assertEquals(Set.of(own, graph), Set.copyOf(vault.keys("generic")));

        // while one desk holds Graph's lock (a refresh under way), another takes the mail resource's at once
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread refreshing = new Thread(() -> vault.withLock(graph, () -> {
            held.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }), "graph-refresh");
        refreshing.start();
        assertTrue(held.await(10, TimeUnit.SECONDS));
        AtomicBoolean ran = new AtomicBoolean();
        try {
            vault.withLock(own, () -> {
                ran.set(true);
                return null;
            });
        } finally {
            release.countDown();
            refreshing.join(30_000);
        }
        assertTrue(ran.get(), "the mail resource's lock was free while Graph's was held");
        assertTrue(vault.delete(graph));
        assertEquals(List.of(own), vault.keys("generic"));
    }
}
