package org.envoi.store.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;

/** The few JDBC moves the repositories share; a failure says what could not be done and that nothing was changed. */
final class Jdbc {

    @FunctionalInterface
    interface Row<T> {
        T read(ResultSet r) throws SQLException;
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final DataSource ds;
    private final String what;

    Jdbc(DataSource ds, String what) {
        this.ds = ds;
        this.what = what;
    }

    <T> List<T> list(String sql, Row<T> row, Object... args) {
        return inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement(sql)) {
                bind(p, args);
                List<T> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(row.read(r));
                    }
                }
                return out;
            }
        });
    }

    <T> Optional<T> one(String sql, Row<T> row, Object... args) {
        List<T> l = list(sql, row, args);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    int update(String sql, Object... args) {
        return inTransaction(c -> update(c, sql, args));
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            bind(p, args);
            return p.executeUpdate();
        }
    }

    /** Runs the work in one transaction: all of it is committed, or none. */
    <T> T inTransaction(Work<T> work) {
        try (Connection c = ds.getConnection()) {
            return inTransaction(c, work);
        } catch (SQLException e) {
            throw new EnvoiException(ErrorCode.STORE_UNAVAILABLE, null, "The store could not save or read the " + what
                    + " (" + e.getMessage() + "); nothing was changed.", e);
        }
    }

    /** Runs the work in one transaction of {@code c}, which keeps its auto-commit mode afterwards. */
    static <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    static void bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof byte[] b) {
                p.setBytes(i + 1, b);
            } else if (args[i] == null) {
                p.setNull(i + 1, java.sql.Types.NULL);
            } else {
                p.setObject(i + 1, args[i]);
            }
        }
    }
}
