package org.envoi.store.internal;

import java.sql.Connection;
import java.sql.SQLException;

/** The little that differs between the embedded H2 database and a shared PostgreSQL one. */
enum Dialect {
    H2("BLOB", ""),
    POSTGRESQL("BYTEA", " SKIP LOCKED");

    private final String binary;
    /** Added to a claiming {@code FOR UPDATE}: desks sharing a PostgreSQL outbox claim different mails at once. */
    final String skipLocked;

    Dialect(String binary, String skipLocked) {
        this.binary = binary;
        this.skipLocked = skipLocked;
    }

    static Dialect of(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName();
        if (product.equalsIgnoreCase("PostgreSQL")) {
            return POSTGRESQL;
        }
        if (product.equalsIgnoreCase("H2")) {
            return H2;
        }
        throw new SQLException("Envoi's store runs on H2 or PostgreSQL, not on " + product);
    }

    String expand(String script) {
        return script.replace("${binary}", binary);
    }
}
