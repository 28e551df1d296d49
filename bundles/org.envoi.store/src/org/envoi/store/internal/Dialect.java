package org.envoi.store.internal;

import java.sql.Connection;
import java.sql.SQLException;

/** The little that differs between the embedded H2 database and a shared PostgreSQL one. */
enum Dialect {
    H2("BLOB", "", true),
    POSTGRESQL("BYTEA", " FOR UPDATE SKIP LOCKED", false);

    private final String binary;
    /**
     * Ends the query that picks the mails to claim. PostgreSQL: desks sharing the outbox pick different mails at once.
     * H2: nothing, its FOR UPDATE reads and sorts every waiting row instead of stopping at the claim's size; the
     * claim's conditional UPDATE keeps two processes from taking one mail on both.
     */
    final String claimLock;

    /** H2 commits each DDL statement at once, whatever the transaction; PostgreSQL's DDL is transactional. */
    final boolean ddlCommits;

    Dialect(String binary, String claimLock, boolean ddlCommits) {
        this.binary = binary;
        this.claimLock = claimLock;
        this.ddlCommits = ddlCommits;
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
