package org.envoi.store.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.ImapMark;

/** Fetched-mail marks in the store's database. */
public final class JdbcFetchMarks implements FetchMarks {

    private final DataSource ds;

    public JdbcFetchMarks(DataSource ds) {
        this.ds = ds;
    }

    @Override
    public ImapMark imapMark(String mailbox) {
        try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT uid_validity, highest_uid FROM fetch_mark WHERE mailbox = ?")) {
            p.setString(1, mailbox);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? new ImapMark(r.getLong(1), r.getLong(2)) : ImapMark.NONE;
            }
        } catch (SQLException e) {
            throw error(mailbox, e);
        }
    }

    @Override
    public void saveImapMark(String mailbox, ImapMark mark) {
        saveImapMark(mailbox, mark, java.util.List.of(), false);
    }

    @Override
    public Set<String> keysBefore(String mailbox, long uidValidity) {
        return strings(mailbox, "SELECT mail_key FROM fetch_key WHERE mailbox = ? AND uid_validity <> ?", uidValidity);
    }

    /** The one column a query of this mailbox (and, if given, one number more) selects. */
    private Set<String> strings(String mailbox, String sql, Long... more) {
        Set<String> out = new HashSet<>();
        try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, mailbox);
            for (int i = 0; i < more.length; i++) {
                p.setLong(2 + i, more[i]);
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw error(mailbox, e);
        }
    }

    /** The mark and its keys in one transaction, in SQL that H2 and PostgreSQL both take. */
    @Override
    public void saveImapMark(String mailbox, ImapMark mark, Collection<String> keys, boolean renumbered) {
        try (Connection c = ds.getConnection()) {
            Jdbc.inTransaction(c, tx -> {
                if (renumbered) {
                    Jdbc.update(tx, "DELETE FROM fetch_key WHERE mailbox = ? AND uid_validity <> ?", mailbox,
                            mark.uidValidity());
                }
                try (PreparedStatement p = tx.prepareStatement("INSERT INTO fetch_key (mailbox, mail_key,"
                        + " uid_validity) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM fetch_key WHERE mailbox = ?"
                        + " AND mail_key = ?)")) {
                    for (String k : new java.util.LinkedHashSet<>(keys)) {
                        Jdbc.bind(p, mailbox, k, mark.uidValidity(), mailbox, k);
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                Timestamp now = Timestamp.from(Instant.now());
                if (Jdbc.update(tx, "UPDATE fetch_mark SET uid_validity = ?, highest_uid = ?, updated = ? WHERE"
                        + " mailbox = ?", mark.uidValidity(), mark.highestUid(), now, mailbox) == 0) {
                    Jdbc.update(tx, "INSERT INTO fetch_mark (mailbox, uid_validity, highest_uid, updated) VALUES (?, ?,"
                            + " ?, ?)", mailbox, mark.uidValidity(), mark.highestUid(), now);
                }
                return null;
            });
        } catch (SQLException e) {
            throw error(mailbox, e);
        }
    }

    @Override
    public Set<String> pop3Seen(String mailbox) {
        return strings(mailbox, "SELECT uidl FROM fetch_uidl WHERE mailbox = ?");
    }

    @Override
    public void addPop3Seen(String mailbox, Collection<String> uidls) {
        // SQL that H2 and PostgreSQL both take (H2's MERGE ... KEY is not PostgreSQL's); each UIDL once
        try (Connection c = ds.getConnection()) {
            Jdbc.inTransaction(c, tx -> {
                try (PreparedStatement p = tx.prepareStatement("INSERT INTO fetch_uidl (mailbox, uidl) SELECT ?, ?"
                        + " WHERE NOT EXISTS (SELECT 1 FROM fetch_uidl WHERE mailbox = ? AND uidl = ?)")) {
                    for (String u : new java.util.LinkedHashSet<>(uidls)) {
                        Jdbc.bind(p, mailbox, u, mailbox, u);
                        p.addBatch();
                    }
                    return p.executeBatch();
                }
            });
        } catch (SQLException e) {
            throw error(mailbox, e);
        }
    }

    @Override
    public java.util.Optional<String> textMark(String mailbox) {
        try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT mark FROM fetch_text_mark WHERE mailbox = ?")) {
            p.setString(1, mailbox);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? java.util.Optional.of(r.getString(1)) : java.util.Optional.empty();
            }
        } catch (SQLException e) {
            throw error(mailbox, e);
        }
    }

    /** Replaces the mark in one transaction, in SQL that H2 and PostgreSQL both take. */
    @Override
    public void saveTextMark(String mailbox, String mark) {
        try (Connection c = ds.getConnection()) {
            Jdbc.inTransaction(c, tx -> {
                Timestamp now = Timestamp.from(Instant.now());
                if (Jdbc.update(tx, "UPDATE fetch_text_mark SET mark = ?, updated = ? WHERE mailbox = ?", mark, now,
                        mailbox) == 0) {
                    Jdbc.update(tx, "INSERT INTO fetch_text_mark (mailbox, mark, updated) VALUES (?, ?, ?)", mailbox,
                            mark, now);
                }
                return null;
            });
        } catch (SQLException e) {
            throw error(mailbox, e);
        }
    }

    private static EnvoiException error(String mailbox, SQLException e) {
        return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The fetched-mail marks of " + mailbox
                + " cannot be read or saved (" + e.getMessage() + "); nothing was fetched twice or dropped.", e);
    }
}
