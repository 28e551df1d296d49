package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.envoi.api.tests.servers.PostgresServer;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.store.internal.JdbcSettingsRepository;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migrations on a real PostgreSQL, where DDL is transactional: a migration that fails at any statement leaves
 * nothing of its script behind, and two desks upgrading one database at once both come up.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostgresMigrationTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    static Path temp;
    private static PostgresServer postgres;
    private static int databases;

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

    @Test
    void aMigrationStoppedAtAnyStatementIsRolledBackAndRunsWholeNextTime() throws Exception {
        int stops = 0;
        for (int at = 1;; at++) {
            JdbcConnectionPool db = database();
            try {
                int stopAt = at;
                int[] seen = { 0 };
                boolean stopped;
                try {
                    Migrations.migrate(db, (v, n) -> {
                        if (++seen[0] == stopAt) {
                            throw new IllegalStateException("stopped at V" + v + " statement " + n);
                        }
                    });
                    stopped = false;
                } catch (IllegalStateException e) {
                    stopped = true;
                }
                if (!stopped) {
                    break;
                }
                stops++;
                assertEquals(Migrations.SCHEMA_VERSION, Migrations.migrate(db));
                assertEquals(Migrations.SCHEMA_VERSION, version(db));
                assertEquals(7, new JdbcSettingsRepository(db).mailSettings().size(), "stopped at " + at);
            } finally {
                db.dispose();
            }
        }
        assertTrue(stops >= 22, "" + stops);
    }

    @Test
    void twoDesksUpgradingOneDatabaseAtOnceBothComeUp() throws Exception {
        String url = postgres.createDatabase("race" + (++databases));
        ExecutorService desks = Executors.newFixedThreadPool(2);
        List<JdbcConnectionPool> pools = new ArrayList<>();
        try {
            CountDownLatch ready = new CountDownLatch(2);
            List<Future<Integer>> up = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                JdbcConnectionPool pool = (JdbcConnectionPool) StoreComponent.postgresql(url, PostgresServer.USER, "");
                pools.add(pool);
                up.add(desks.submit(() -> {
                    ready.countDown();
                    ready.await();
                    return Migrations.migrate(pool, (v, n) -> sleep(20)); // slow: the other one comes in the middle
                }));
            }
            for (Future<Integer> f : up) {
                assertEquals(Migrations.SCHEMA_VERSION, f.get(2, TimeUnit.MINUTES));
            }
            assertEquals(7, new JdbcSettingsRepository(pools.get(0)).mailSettings().size());
        } finally {
            desks.shutdownNow();
            pools.forEach(JdbcConnectionPool::dispose);
        }
    }

    private static JdbcConnectionPool database() throws Exception {
        return (JdbcConnectionPool) StoreComponent.postgresql(postgres.createDatabase("stop" + (++databases)),
                PostgresServer.USER, "");
    }

    private static int version(DataSource db) throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT MAX(version) FROM envoi_schema")) {
            r.next();
            return r.getInt(1);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
