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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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

    /**
     * The desk that runs a statement first is held inside its migration until PostgreSQL shows the other desk waiting
     * on a lock (the migration lock's row): the two upgrades provably overlap, and no statement of the second runs
     * while the first is in the middle of its scripts.
     */
    @Test
    void twoDesksUpgradingOneDatabaseAtOnceBothComeUp() throws Exception {
        String url = postgres.createDatabase("race" + (++databases));
        ExecutorService desks = Executors.newFixedThreadPool(2);
        List<JdbcConnectionPool> pools = new ArrayList<>();
        JdbcConnectionPool watch = (JdbcConnectionPool) StoreComponent.postgresql(url, PostgresServer.USER, "");
        try {
            CountDownLatch ready = new CountDownLatch(2);
            AtomicInteger first = new AtomicInteger(-1);
            AtomicBoolean firstMigrating = new AtomicBoolean();
            AtomicReference<String> overlap = new AtomicReference<>();
            List<String> statementsDuringTheFirst = new CopyOnWriteArrayList<>();
            List<Future<Integer>> up = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int desk = i;
                JdbcConnectionPool pool = (JdbcConnectionPool) StoreComponent.postgresql(url, PostgresServer.USER, "");
                pools.add(pool);
                up.add(desks.submit(() -> {
                    ready.countDown();
                    ready.await();
                    int n = Migrations.migrate(pool, (v, statement) -> {
                        if (first.compareAndSet(-1, desk)) {
                            firstMigrating.set(true);
                            overlap.set(awaitTheOtherWaiting(watch));
                        } else if (first.get() != desk && firstMigrating.get()) {
                            statementsDuringTheFirst.add("V" + v + " statement " + statement);
                        }
                    });
                    if (first.get() == desk) {
                        firstMigrating.set(false);
                    }
                    return n;
                }));
            }
            for (Future<Integer> f : up) {
                assertEquals(Migrations.SCHEMA_VERSION, f.get(2, TimeUnit.MINUTES));
            }
            assertEquals("waiting on a lock", overlap.get(), "while the first desk migrated, the second");
            assertEquals(List.of(), statementsDuringTheFirst, "statements the second desk ran while the first migrated");
            assertEquals(7, new JdbcSettingsRepository(pools.get(0)).mailSettings().size());
        } finally {
            desks.shutdownNow();
            pools.forEach(JdbcConnectionPool::dispose);
            watch.dispose();
        }
    }

    /**
     * Holds the first desk until another session of this database waits on a lock, as {@code pg_stat_activity} shows
     * it; at most 30 s (then the answer says the other desk never came, and the test fails).
     */
    private static String awaitTheOtherWaiting(DataSource watch) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = watch.getConnection(); Statement s = c.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM pg_stat_activity WHERE datname ="
                        + " current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")) {
                    r.next();
                    if (r.getInt(1) > 0) {
                        return "waiting on a lock";
                    }
                }
                sleep(10);
            }
        } catch (java.sql.SQLException e) {
            return "unknown: " + e;
        }
        return "never seen waiting within 30 s";
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
