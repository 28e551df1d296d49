package org.envoi.store.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import javax.sql.DataSource;

/**
 * Applies the numbered SQL scripts of {@code db/} that the database has not seen, each in its own transaction, and
 * records them in {@code envoi_schema}. A database newer than this code is refused rather than used. The same scripts
 * run on H2 and PostgreSQL; the few type names that differ are written {@code ${name}} (see {@link Dialect}).
 */
public final class Migrations {

    /** The scripts, in order; the number is the schema version each one reaches. */
    static final List<String> SCRIPTS = List.of("db/V1__outbox_and_marks.sql", "db/V2__flows_operators_settings.sql",
            "db/V3__shared_vault.sql", "db/V4__outbox_claim_index.sql", "db/V5__outbox_claim_lease.sql");

    /** The schema version these scripts reach. */
    public static final int SCHEMA_VERSION = SCRIPTS.size();

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
        try (Connection c = ds.getConnection()) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS envoi_schema (version INT PRIMARY KEY, script VARCHAR(255)"
                        + " NOT NULL, applied TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL)");
            }
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
            for (int v = current + 1; v <= SCRIPTS.size(); v++) {
                String script = SCRIPTS.get(v - 1);
                try (Statement s = c.createStatement()) {
                    int n = 0;
                    for (String sql : statements(Dialect.of(c).expand(read(script)))) {
                        s.execute(sql);
                        after.ran(v, ++n);
                    }
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO envoi_schema (version, script) VALUES (?, ?)")) {
                    p.setInt(1, v);
                    p.setString(2, script);
                    p.executeUpdate();
                }
                c.commit();
            }
            c.setAutoCommit(true);
            return SCRIPTS.size();
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
