package org.envoi.store.internal;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutboxStore;
import org.envoi.api.mail.OutgoingMail;

/** The outbox in the store's database (JDBC): every transition is one committed statement. */
public final class JdbcOutboxStore implements OutboxStore {

    private static final String COLUMNS = "id, message_id, flow_id, operator_id, subject, state, attempts, next_attempt,"
            + " last_reply, updated";

    private final DataSource ds;
    private final Clock clock;
    /** Asked of the database once, on the first claim: it never changes under a data source. */
    private Dialect dialect;

    public JdbcOutboxStore(DataSource ds, Clock clock) {
        this.ds = ds;
        this.clock = clock;
    }

    @Override
    public long enqueue(String flowId, String operatorId, OutgoingMail mail) {
        Timestamp now = ts(clock.instant());
        try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement("INSERT INTO outbox"
                + " (message_id, flow_id, operator_id, subject, state, next_attempt, created, updated, mail)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", new String[] { "id" })) {
            p.setString(1, mail.messageId());
            p.setString(2, flowId);
            p.setString(3, operatorId);
            p.setString(4, mail.subject().length() > 1000 ? mail.subject().substring(0, 1000) : mail.subject());
            p.setString(5, State.QUEUED.name());
            p.setTimestamp(6, now);
            p.setTimestamp(7, now);
            p.setTimestamp(8, now);
            p.setBytes(9, MailCodec.encode(mail));
            p.executeUpdate();
            try (ResultSet keys = p.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        } catch (SQLException e) {
            throw error("cannot queue the mail " + mail.messageId(), e);
        }
    }

    @Override
    public Optional<OutboxEntry> entry(long id) {
        List<OutboxEntry> l = query("SELECT " + COLUMNS + " FROM outbox WHERE id = ?", id);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    @Override
    public List<OutboxEntry> list(int max) {
        return query("SELECT " + COLUMNS + " FROM outbox ORDER BY id DESC FETCH FIRST " + Math.max(1, max)
                + " ROWS ONLY");
    }

    @Override
    public int count(State state) {
        try (Connection c = ds.getConnection();
                PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM outbox WHERE state = ?")) {
            p.setString(1, state.name());
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        } catch (SQLException e) {
            throw error("cannot count the outbox", e);
        }
    }

    @Override
    public void retry(long id) {
        update("UPDATE outbox SET state = ?, next_attempt = ?, updated = ? WHERE id = ? AND state IN (?, ?)",
                State.QUEUED.name(), ts(clock.instant()), ts(clock.instant()), id, State.FAILED.name(),
                State.WAITING_CONSENT.name());
    }

    @Override
    public synchronized List<Claimed> claimDue(Instant now, int max) {
        List<Claimed> out = new ArrayList<>();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + ", mail FROM outbox WHERE"
                    + " (state = ? OR state = ?) AND next_attempt <= ? ORDER BY id FETCH FIRST " + Math.max(1, max)
                    + " ROWS ONLY FOR UPDATE" + dialect(c).skipLocked)) {
                p.setString(1, State.QUEUED.name());
                p.setString(2, State.RETRY.name());
                p.setTimestamp(3, ts(now));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Claimed(read(r), MailCodec.decode(r.getBytes("mail"))));
                    }
                }
            }
            // Only a mail still due is taken: another process serving the same database (the desktop and a CLI
            // command, two desks) may have claimed it between the read and this update, whatever the database's
            // locking does with a row it waited for.
            List<Claimed> taken = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET state = ?, updated = ? WHERE id = ?"
                    + " AND (state = ? OR state = ?)")) {
                for (Claimed cl : out) {
                    p.setString(1, State.SENDING.name());
                    p.setTimestamp(2, ts(now));
                    p.setLong(3, cl.entry().id());
                    p.setString(4, State.QUEUED.name());
                    p.setString(5, State.RETRY.name());
                    p.addBatch();
                }
                int[] updated = out.isEmpty() ? new int[0] : p.executeBatch();
                for (int i = 0; i < out.size(); i++) {
                    if (updated[i] == 1 || updated[i] == java.sql.Statement.SUCCESS_NO_INFO) {
                        taken.add(out.get(i));
                    }
                }
            }
            c.commit();
            return taken;
        } catch (SQLException | IOException e) {
            throw error("cannot read the outbox", e);
        }
    }

    private Dialect dialect(Connection c) throws SQLException {
        if (dialect == null) {
            dialect = Dialect.of(c);
        }
        return dialect;
    }

    /**
     * A sent mail keeps its row (state, server's answer, Message-ID) but not its content, which nothing reads again:
     * otherwise the database grows by the size of every mail ever sent (≈ 250 KB a 100 KB invoice on H2's file).
     * Copies meant to be kept are the settings' kept copies.
     */
    private static final String SENT = "UPDATE outbox SET state = ?, attempts = attempts + 1, last_reply = ?,"
            + " updated = ?, mail = ? WHERE id = ?";

    @Override
    public void markSent(long id, String reply, Instant now) {
        markSent(List.of(new Sent(id, reply, now)));
    }

    /** One transaction for all: on H2 every commit is a write of the file, on PostgreSQL a flush of its log. */
    @Override
    public void markSent(List<Sent> sent) {
        if (sent.isEmpty()) {
            return;
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement(SENT)) {
                for (Sent s : sent) {
                    p.setString(1, State.SENT.name());
                    p.setString(2, clip(s.reply()));
                    p.setTimestamp(3, ts(s.at()));
                    p.setBytes(4, new byte[0]);
                    p.setLong(5, s.id());
                    p.addBatch();
                }
                p.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw error("cannot mark " + sent.size() + " mail(s) sent", e);
        }
    }

    @Override
    public void markRetry(long id, String reason, Instant next, Instant now) {
        update("UPDATE outbox SET state = ?, attempts = attempts + 1, last_reply = ?, next_attempt = ?, updated = ?"
                + " WHERE id = ?", State.RETRY.name(), clip(reason), ts(next), ts(now), id);
    }

    @Override
    public void markFailed(long id, String reason, Instant now) {
        update("UPDATE outbox SET state = ?, attempts = attempts + 1, last_reply = ?, updated = ? WHERE id = ?",
                State.FAILED.name(), clip(reason), ts(now), id);
    }

    @Override
    public void markWaitingConsent(long id, String reason, Instant now) {
        update("UPDATE outbox SET state = ?, last_reply = ?, updated = ? WHERE id = ?", State.WAITING_CONSENT.name(),
                clip(reason), ts(now), id);
    }

    @Override
    public void release(long id, Instant now) {
        update("UPDATE outbox SET state = ?, updated = ? WHERE id = ? AND state = ?", State.QUEUED.name(), ts(now), id,
                State.SENDING.name());
    }

    @Override
    public int recoverInterrupted(Instant now) {
        return update("UPDATE outbox SET state = ?, last_reply = ?, next_attempt = ?, updated = ? WHERE state = ?",
                State.RETRY.name(), "interrupted while sending; sent again with the same Message-ID", ts(now), ts(now),
                State.SENDING.name());
    }

    @Override
    public int consentGiven(String flowId, String operatorId, Instant now) {
        return update("UPDATE outbox SET state = ?, next_attempt = ?, updated = ? WHERE state = ? AND flow_id = ?"
                + " AND operator_id = ?", State.QUEUED.name(), ts(now), ts(now), State.WAITING_CONSENT.name(), flowId,
                operatorId);
    }

    private List<OutboxEntry> query(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement(sql)) {
            bind(p, args);
            List<OutboxEntry> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(read(r));
                }
            }
            return out;
        } catch (SQLException e) {
            throw error("cannot read the outbox", e);
        }
    }

    private int update(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement(sql)) {
            bind(p, args);
            return p.executeUpdate();
        } catch (SQLException e) {
            throw error("cannot update the outbox", e);
        }
    }

    private static void bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            p.setObject(i + 1, args[i]);
        }
    }

    private static OutboxEntry read(ResultSet r) throws SQLException {
        return new OutboxEntry(r.getLong("id"), r.getString("message_id"), r.getString("flow_id"),
                r.getString("operator_id"), r.getString("subject"), State.valueOf(r.getString("state")),
                r.getInt("attempts"), r.getTimestamp("next_attempt").toInstant(), r.getString("last_reply"),
                r.getTimestamp("updated").toInstant());
    }

    /** Microseconds, as the database keeps them: a rounded-up "now" would put a due mail in the future. */
    private static Timestamp ts(Instant i) {
        return Timestamp.from(i.truncatedTo(java.time.temporal.ChronoUnit.MICROS));
    }

    private static String clip(String s) {
        return s == null ? null : s.length() > 2000 ? s.substring(0, 1997) + "..." : s;
    }

    private static EnvoiException error(String what, Exception e) {
        return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The outbox database failed: " + what + " ("
                + e.getMessage() + "); nothing was lost.", e);
    }
}
