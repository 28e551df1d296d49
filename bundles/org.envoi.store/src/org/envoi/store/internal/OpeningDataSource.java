package org.envoi.store.internal;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The store's database while it opens on a thread of its own: the framework's start (and with it the desktop's
 * window) does not wait for the database to be opened and migrated, only the first call that needs a connection does.
 * A database that could not be opened gives every call the reason, the same sentence each time (a refused login names
 * the setting to correct); nothing is read or written then.
 */
final class OpeningDataSource implements DataSource {

    /** The work that opens and migrates the database. */
    interface Opener {
        DataSource open() throws SQLException;
    }

    private final CompletableFuture<DataSource> opened = new CompletableFuture<>();

    /** Starts opening the database on a daemon thread named {@code name}. */
    OpeningDataSource(Opener opener, String name) {
        Thread t = new Thread(() -> {
            try {
                opened.complete(opener.open());
            } catch (SQLException | RuntimeException | Error e) {
                opened.completeExceptionally(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /** The opened database, once it is; the reason it could not be opened, as it was thrown. */
    DataSource database() throws SQLException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return opened.get();
                } catch (InterruptedException e) {
                    interrupted = true; // a connection is owed: keep waiting, tell the thread afterwards
                } catch (ExecutionException | CompletionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof SQLException s) {
                        throw new SQLException(s.getMessage(), s.getSQLState(), s.getErrorCode(), s);
                    }
                    if (cause instanceof RuntimeException r) {
                        throw r; // an EnvoiException keeps its code and sentence
                    }
                    throw (Error) cause;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Closes the pool once the opening has ended (at once if it has), whether or not anyone used it. */
    void dispose() {
        opened.whenComplete((ds, failure) -> {
            if (ds instanceof JdbcConnectionPool pool) {
                pool.dispose();
            }
        });
    }

    @Override
    public Connection getConnection() throws SQLException {
        return database().getConnection();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return database().getConnection(username, password);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return database().getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        database().setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        database().setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return database().getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("no parent logger");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        return database().unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || database().isWrapperFor(iface);
    }
}
