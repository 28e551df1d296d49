package org.envoi.store.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

/**
 * Applies the numbered SQL scripts of {@code db/} that the database has not seen and records them in
 * {@code envoi_schema}. A database newer than this code is refused rather than used. The same scripts run on H2 and
 * PostgreSQL; the few type names that differ are written {@code ${name}} (see {@link Dialect}).
 * <p>
 * Safe against a crash and against a second process: one process at a time migrates, holding the row lock of
 * {@code envoi_schema_lock} on a connection of its own (another process, or another desk on PostgreSQL, waits for it
 * and then finds the schema done). On PostgreSQL each script is one transaction (its DDL is transactional). H2
 * commits each DDL statement on its own, so there every statement's progress is committed in
 * {@code envoi_schema_step} (with the statement itself when it is data), and every DDL statement of the scripts is
 * written to be run again ({@code IF NOT EXISTS}): a process halted anywhere in a script resumes at the next start.
 */
public final class Migrations {

    /** The scripts, in order; the number is the schema version each one reaches. */
    static final List<String> SCRIPTS = List.of("db/V1__outbox_and_marks.sql", "db/V2__flows_operators_settings.sql",
            "db/V3__shared_vault.sql", "db/V4__outbox_claim_index.sql", "db/V5__outbox_claim_lease.sql",
            "db/V6__fetch_keys.sql", "db/V7__fetch_text_marks.sql");

    /** The schema version these scripts reach. */
    public static final int SCHEMA_VERSION = SCRIPTS.size();

    /** How long a process waits for another one's migration before it gives up. */
    private static final Duration WAIT_FOR_OTHER = Duration.ofMinutes(15);

    /** Told after each statement of a script has run: the test seam that halts a process there. */
    @FunctionalInterface
    public interface AfterStatement {
        void ran(int version, int statement);
    }

    private Migrations() {
    }

    public static int migrate(DataSource ds) throws SQLException {
        return migrate(ds, (v, n) -> { });
    }

    public static int migrate(DataSource ds, AfterStatement after) throws SQLException {
        for (int attempt = 1;; attempt++) {
            try {
                return migrateOnce(ds, after);
            } catch (SQLException e) {
                // H2's AUTO_SERVER: the process that served the file ended while this one waited for its lock; the
                // next connection opens the file here (or reaches the new server), and whatever it did is committed
                if (attempt == 3 || !isConnectionBroken(e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean isConnectionBroken(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && (s.getErrorCode() == 90067 || s.getErrorCode() == 90121 || String.valueOf(s.getSQLState())
                    .startsWith("08"))) {
                return true;
            }
        }
        return false;
    }

    private static int migrateOnce(DataSource ds, AfterStatement after) throws SQLException {
        try (Connection lock = ds.getConnection()) {
            prepare(lock);
            lock.setAutoCommit(false);
            try {
                hold(lock);
                try (Connection c = ds.getConnection()) {
                    return apply(c, after);
                }
            } finally {
                lock.rollback(); // lets the next process in
                lock.setAutoCommit(true);
            }
        }
    }

    /** The bookkeeping tables and the lock's row; two processes may do this at once. */
    private static void prepare(Connection c) throws SQLException {
        for (int attempt = 1;; attempt++) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS envoi_schema (version INT PRIMARY KEY, script VARCHAR(255)"
                        + " NOT NULL, applied TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS envoi_schema_step (version INT NOT NULL, statement INT NOT NULL,"
                        + " PRIMARY KEY (version, statement))");
                s.execute("CREATE TABLE IF NOT EXISTS envoi_schema_lock (id INT PRIMARY KEY)");
                s.execute("INSERT INTO envoi_schema_lock (id) SELECT 1 WHERE NOT EXISTS"
                        + " (SELECT 1 FROM envoi_schema_lock WHERE id = 1)");
                return;
            } catch (SQLException e) {
                // the other process created the same table or row a moment before (PostgreSQL's CREATE ... IF NOT
                // EXISTS is not safe against a concurrent one): look again
                if (attempt == 5) {
                    throw e;
                }
                pause(100L * attempt);
            }
        }
    }

    /** Takes the migration lock, waiting while another process migrates (H2 gives up a wait at its lock time-out). */
    private static void hold(Connection lock) throws SQLException {
        long deadline = System.nanoTime() + WAIT_FOR_OTHER.toNanos();
        while (true) {
            try (Statement s = lock.createStatement();
                    ResultSet r = s.executeQuery("SELECT id FROM envoi_schema_lock WHERE id = 1 FOR UPDATE")) {
                r.next();
                return;
            } catch (SQLException e) {
                lock.rollback();
                if (!isLockTimeout(e) || System.nanoTime() > deadline) {
                    throw new SQLException("another Envoi has been migrating this database for more than "
                            + WAIT_FOR_OTHER.toMinutes() + " minutes (" + e.getMessage() + ")", e);
                }
            }
        }
    }

    private static boolean isLockTimeout(SQLException e) {
        // H2: LOCK_TIMEOUT_1 (50200); PostgreSQL: lock_not_available when a lock_timeout is set
        return e.getErrorCode() == 50200 || "55P03".equals(e.getSQLState());
    }

    private static int apply(Connection c, AfterStatement after) throws SQLException {
        Dialect dialect = Dialect.of(c);
        int current = 0;
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT COALESCE(MAX(version), 0) FROM envoi_schema")) {
            if (r.next()) {
                current = r.getInt(1);
            }
        }
        if (current > SCRIPTS.size()) {
            throw new SQLException("the database is at schema version " + current + ", newer than this Envoi ("
                    + SCRIPTS.size() + "): update Envoi before using it");
        }
        c.setAutoCommit(false);
        try {
            for (int v = current + 1; v <= SCRIPTS.size(); v++) {
                String script = SCRIPTS.get(v - 1);
                List<String> statements = statements(dialect.expand(read(script)));
                try (Statement s = c.createStatement()) {
                    for (int n = done(c, v) + 1; n <= statements.size(); n++) {
                        s.execute(statements.get(n - 1));
                        after.ran(v, n);
                        if (dialect.ddlCommits) {
                            Jdbc.update(c, "INSERT INTO envoi_schema_step (version, statement) VALUES (?, ?)", v, n);
                            c.commit();
                        }
                    }
                }
                Jdbc.update(c, "DELETE FROM envoi_schema_step WHERE version = ?", v);
                Jdbc.update(c, "INSERT INTO envoi_schema (version, script) VALUES (?, ?)", v, script);
                c.commit();
            }
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        return SCRIPTS.size();
    }

    /** How many statements of script {@code v} an interrupted run already committed (H2 only; 0 elsewhere). */
    private static int done(Connection c, int v) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT COALESCE(MAX(statement), 0) FROM envoi_schema_step WHERE version = ?")) {
            p.setInt(1, v);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getInt(1) : 0;
            }
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(String script) throws SQLException {
        try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(script)) {
            if (in == null) {
                throw new SQLException("migration " + script + " is missing from the bundle");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SQLException("cannot read " + script, e);
        }
    }

    private static List<String> statements(String sql) {
        String noComments = sql.lines().filter(l -> !l.strip().startsWith("--")).reduce("", (a, b) -> a + "\n" + b);
        return java.util.Arrays.stream(noComments.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
