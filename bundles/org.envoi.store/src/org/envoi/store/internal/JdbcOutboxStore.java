package org.envoi.store.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
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

/**
 * The outbox in the store's database (JDBC): every transition is durable when the call returns. With a spool folder
 * (the embedded H2 of one desk) a mail's content is a file {@code <id>.mail} there and its row holds empty content:
 * H2 writes a 100 KB BLOB at about a millisecond of CPU, written once, read once and removed once per mail, where a
 * file costs a copy into the page cache. Both are as durable: the row is committed only once its file is written and
 * closed, neither is forced to the disk (see {@link StoreComponent#h2}). Without one (PostgreSQL, shared by several
 * desks) the content stays in the row.
 */
public final class JdbcOutboxStore implements OutboxStore {

    private static final String COLUMNS = "id, message_id, flow_id, operator_id, subject, state, attempts, next_attempt,"
            + " last_reply, updated";

    /**
     * How long a claim holds its mails without news from the process sending them: the worker renews it every 30 s
     * ({@link #keepClaimed}), so only a process that stopped (crash, kill, power cut) lets it lapse; its mails then go
     * again, from any Envoi serving the outbox, within this time.
     */
    public static final Duration CLAIM_LEASE = Duration.ofMinutes(2);

    private final DataSource ds;
    private final Clock clock;
    /** Where contents are kept, or null: in the rows. */
    private final Path spool;
    private final Duration lease;
    /** Asked of the database once, on the first claim: it never changes under a data source. */
    private Dialect dialect;
    /** The spool is tidied at the first recovery (the start), not at the later ones. */
    private volatile boolean tidied;

    /** Contents in the rows (a database shared by several desks). */
    public JdbcOutboxStore(DataSource ds, Clock clock) {
        this(ds, clock, null);
    }

    /** @param spool the folder of the contents (created if absent), or null to keep them in the rows */
    public JdbcOutboxStore(DataSource ds, Clock clock, Path spool) {
        this(ds, clock, spool, CLAIM_LEASE);
    }

    /** @param lease how long a claim holds its mails unless renewed ({@link #CLAIM_LEASE}; shorter in tests) */
    public JdbcOutboxStore(DataSource ds, Clock clock, Path spool, Duration lease) {
        this.ds = ds;
        this.clock = clock;
        this.spool = spool;
        this.lease = lease;
    }

    /** The file of a mail's content when there is a spool folder. */
    public Optional<Path> contentFile(long id) {
        return spool == null ? Optional.empty() : Optional.of(spool.resolve(id + SUFFIX));
    }

    private static final String SUFFIX = ".mail";

    @Override
    public long enqueue(String flowId, String operatorId, OutgoingMail mail) {
        Timestamp now = ts(clock.instant());
        Path written = null;
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
            p.setBytes(9, spool == null ? MailCodec.encode(mail) : new byte[0]);
            if (spool == null) {
                p.executeUpdate();
                return generatedId(p);
            }
            // the row is committed only once its file is whole: a crash in between leaves a file without a row,
            // which recoverInterrupted() removes, never a row without its content
            c.setAutoCommit(false);
            try {
                p.executeUpdate();
                long id = generatedId(p);
                written = contentFile(id).orElseThrow();
                writeContent(written, mail);
                c.commit();
                return id;
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                if (written != null) {
                    Files.deleteIfExists(written);
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw error("cannot queue the mail " + mail.messageId(), e);
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The outbox folder " + spool + " cannot"
                    + " hold the mail " + mail.messageId() + " (" + e + "): free some disk space or give Envoi the"
                    + " right to write there; the mail was not queued.", e);
        }
    }

    private static long generatedId(PreparedStatement p) throws SQLException {
        try (ResultSet keys = p.getGeneratedKeys()) {
            keys.next();
            return keys.getLong(1);
        }
    }

    private void writeContent(Path file, OutgoingMail mail) throws IOException {
        try (FileChannel ch = openNew(file)) {
            MailCodec.write(mail, ch);
        }
    }

    private FileChannel openNew(Path file) throws IOException {
        try {
            return FileChannel.open(file, WRITE_NEW, FILE_MODE);
        } catch (java.nio.file.NoSuchFileException firstMail) {
            Files.createDirectories(spool, DIR_MODE);
            return FileChannel.open(file, WRITE_NEW, FILE_MODE);
        }
    }

    /** Mails are read by their sender only, whatever the process's umask (see PrivateH2). */
    private static final java.nio.file.attribute.FileAttribute<?>[] FILE_MODE = PrivateH2.ownerOnly("rw-------");
    private static final java.nio.file.attribute.FileAttribute<?>[] DIR_MODE = PrivateH2.ownerOnly("rwx------");
    private static final java.util.Set<StandardOpenOption> WRITE_NEW = java.util.EnumSet.of(StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);

    @Override
    public Optional<OutboxEntry> entry(long id) {
        List<OutboxEntry> l = query("SELECT " + COLUMNS + " FROM outbox WHERE id = ?", id);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    @Override
    public Optional<OutboxEntry> entryOf(String messageId) {
        List<OutboxEntry> l = query("SELECT " + COLUMNS + " FROM outbox WHERE message_id = ?", messageId);
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
        // never SENDING: the mail may be on the wire from another process (recoverInterrupted takes back lapsed ones)
        update("UPDATE outbox SET state = ?, next_attempt = ?, updated = ? WHERE id = ? AND state IN (?, ?, ?)",
                State.QUEUED.name(), ts(clock.instant()), ts(clock.instant()), id, State.FAILED.name(),
                State.WAITING_CONSENT.name(), State.RETRY.name());
    }

    @Override
    public synchronized List<Claimed> claimDue(Instant now, int max) {
        List<Due> due = new ArrayList<>();
        List<Claimed> out = new ArrayList<>();
        List<Move> lost = new ArrayList<>();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            // The oldest QUEUED ones and the oldest RETRY ones whose time has come, each read in the order of the
            // (state, id) index so that the database stops after max rows: one query for both states, or ORDER BY id
            // alone, has H2 read and sort every waiting mail at each claim (1,000 queued: 1,000 rows read for 50).
            // H2 does the same for FOR UPDATE, so it locks nothing here: the conditional UPDATE below decides.
            for (State state : List.of(State.QUEUED, State.RETRY)) {
                try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + ", mail FROM outbox WHERE"
                        + " state = ? AND next_attempt <= ? ORDER BY state, id FETCH FIRST " + Math.max(1, max)
                        + " ROWS ONLY" + dialect(c).claimLock)) {
                    p.setString(1, state.name());
                    p.setTimestamp(2, ts(now));
                    try (ResultSet r = p.executeQuery()) {
                        while (r.next()) {
                            due.add(new Due(read(r), r.getBytes("mail")));
                        }
                    }
                }
            }
            due.sort(java.util.Comparator.comparingLong(d -> d.entry().id()));
            for (Due d : due.subList(0, Math.min(max, due.size()))) {
                claimed(d, out, lost);
            }
            // A lost one stops with the reason instead of coming back at every pass. Only a mail still due is
            // taken: another process serving the same database (the desktop and a CLI command, two desks) may have
            // claimed it between the read and this update, whatever the database's locking does with a row it
            // waited for.
            List<Move> moves = new ArrayList<>(lost);
            out.forEach(cl -> moves.add(new Move(cl.entry().id(), State.SENDING, null)));
            boolean[] moved = moveIfDue(c, moves, now, now.plus(lease));
            List<Claimed> taken = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                if (moved[lost.size() + i]) {
                    taken.add(out.get(i));
                }
            }
            c.commit();
            return taken;
        } catch (SQLException | IOException e) {
            throw error("cannot read the outbox", e);
        }
    }

    /** A claimed row's next state, with its reason when it has one. */
    private record Move(long id, State to, String reply) {
    }

    /**
     * Moves each row still due (QUEUED or RETRY) as asked, in one batch; one moved to SENDING is held until
     * {@code heldUntil}. @return per move, whether its row moved
     */
    private static boolean[] moveIfDue(Connection c, List<Move> moves, Instant now, Instant heldUntil)
            throws SQLException {
        boolean[] moved = new boolean[moves.size()];
        if (moves.isEmpty()) {
            return moved;
        }
        try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET state = ?, last_reply = COALESCE(?,"
                + " last_reply), claimed_until = ?, updated = ? WHERE id = ? AND (state = ? OR state = ?)")) {
            for (Move m : moves) {
                p.setString(1, m.to().name());
                if (m.reply() == null) {
                    p.setNull(2, java.sql.Types.VARCHAR);
                } else {
                    p.setString(2, clip(m.reply()));
                }
                if (m.to() == State.SENDING) {
                    p.setTimestamp(3, ts(heldUntil));
                } else {
                    p.setNull(3, java.sql.Types.TIMESTAMP);
                }
                p.setTimestamp(4, ts(now));
                p.setLong(5, m.id());
                p.setString(6, State.QUEUED.name());
                p.setString(7, State.RETRY.name());
                p.addBatch();
            }
            int[] updated = p.executeBatch();
            for (int i = 0; i < moved.length; i++) {
                moved[i] = updated[i] == 1 || updated[i] == java.sql.Statement.SUCCESS_NO_INFO;
            }
        }
        return moved;
    }

    /** A due row and what its content column holds. */
    private record Due(OutboxEntry entry, byte[] inRow) {
    }

    /** A due row with its content, from the row or from its file; a file that cannot be read makes it lost. */
    private void claimed(Due d, List<Claimed> out, List<Move> lost) throws IOException {
        OutboxEntry e = d.entry();
        if (d.inRow().length > 0 || spool == null) {
            out.add(new Claimed(e, MailCodec.decode(d.inRow())));
            return;
        }
        Path file = contentFile(e.id()).orElseThrow();
        // a small buffer for the length and the head; the attachments' reads are large and go straight to their arrays
        try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            out.add(new Claimed(e, MailCodec.read(in)));
        } catch (IOException unreadable) {
            lost.add(new Move(e.id(), State.FAILED, "The content of this mail, " + file + ", is missing or unreadable ("
                    + unreadable + "): it cannot be sent; send the document again."));
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
    private static final String SENT = "UPDATE outbox SET attempts = attempts + CASE WHEN state = 'SENT' THEN 0 ELSE 1"
            + " END, state = ?, last_reply = ?, updated = ?, mail = ? WHERE id = ?"; // accepted() counted the attempt

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
        inOneTransaction(SENT, sent, (p, s) -> {
            p.setString(1, State.SENT.name());
            p.setString(2, clip(s.reply()));
            p.setTimestamp(3, ts(s.at()));
            p.setBytes(4, new byte[0]);
            p.setLong(5, s.id());
        }, "cannot mark " + sent.size() + " mail(s) sent");
        for (Sent s : sent) {
            // after the commit: a crash in between leaves a file whose row is SENT, removed by recoverInterrupted()
            contentFile(s.id()).ifPresent(JdbcOutboxStore::deleteQuietly);
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

    /**
     * Makes the server's acceptance durable before returning, so that no restart sends the mail again: with a spool
     * folder its content file goes (its absence is the durable "sent", the SENT mark with the server's answer comes
     * with the chunk's); otherwise (PostgreSQL, or content in the row) the row is marked SENT at once, one row in its
     * own commit. The only window left is between the server's answer and this call's return (README).
     * @return false only when neither could be written: the worker's own SENT mark follows at once
     */
    @Override
    public boolean accepted(long id) {
        return accepted(id, ACCEPTED);
    }

    /** On a shared database the SENT row carries the server's answer from the start (another desk may read it). */
    @Override
    public boolean accepted(long id, String reply) {
        Optional<Path> file = contentFile(id);
        try {
            if (file.isPresent() && Files.deleteIfExists(file.get())) {
                return true;
            }
        } catch (IOException e) {
            // the row's mark below
        }
        try {
            return update("UPDATE outbox SET state = ?, attempts = attempts + 1, last_reply = ?, updated = ?, mail = ?"
                    + " WHERE id = ? AND state = ?", State.SENT.name(), reply == null || reply.isBlank() ? ACCEPTED
                            : reply, ts(clock.instant()), new byte[0], id, State.SENDING.name()) == 1;
        } catch (EnvoiException e) {
            return false;
        }
    }

    /** A SENT row's answer until the worker writes the server's own (with the chunk's marks). */
    static final String ACCEPTED = "accepted by the server";

    /** The claim is pushed forward by one lease from {@code now}, for those of the ids still SENDING. */
    @Override
    public void keepClaimed(List<Long> ids, Instant now) {
        if (ids.isEmpty()) {
            return;
        }
        Timestamp until = ts(now.plus(lease));
        inOneTransaction("UPDATE outbox SET claimed_until = ? WHERE id = ? AND state = ?", ids, (p, id) -> {
            p.setTimestamp(1, until);
            p.setLong(2, id);
            p.setString(3, State.SENDING.name());
        }, "cannot renew the claim of " + ids.size() + " mail(s) being sent");
    }

    /** Sets one statement's parameters for one item of a batch. */
    @FunctionalInterface
    private interface Binder<T> {
        void bind(PreparedStatement p, T item) throws SQLException;
    }

    /** One statement per item, one transaction for all: on H2 one write of the file, on PostgreSQL one log flush. */
    private <T> void inOneTransaction(String sql, List<T> items, Binder<T> binder, String what) {
        try (Connection c = ds.getConnection()) {
            Jdbc.inTransaction(c, tx -> {
                try (PreparedStatement p = tx.prepareStatement(sql)) {
                    for (T item : items) {
                        binder.bind(p, item);
                        p.addBatch();
                    }
                    return p.executeBatch();
                }
            });
        } catch (SQLException e) {
            throw error(what, e);
        }
    }

    static final String ACCEPTED_BEFORE_STOP = "accepted by the server; Envoi stopped before saving its answer";

    /** SENDING, and its claim lapsed: the process sending it stopped (NULL: claimed before schema version 5). */
    private static final String LAPSED = "state = ? AND (claimed_until IS NULL OR claimed_until < ?)";

    @Override
    public int recoverInterrupted(Instant now) {
        if (!tidied) {
            tidySpool(now);
            tidied = true;
        }
        if (spool != null) {
            // SENDING with its content in a file that is gone: accepted() removed it, the server took the mail
            List<Sent> sent = new ArrayList<>();
            try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement(
                    "SELECT id FROM outbox WHERE " + LAPSED + " AND OCTET_LENGTH(mail) = 0")) {
                p.setString(1, State.SENDING.name());
                p.setTimestamp(2, ts(now));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        long id = r.getLong(1);
                        if (!Files.exists(contentFile(id).orElseThrow())) {
                            sent.add(new Sent(id, ACCEPTED_BEFORE_STOP, now));
                        }
                    }
                }
            } catch (SQLException e) {
                throw error("cannot read the outbox", e);
            }
            markSent(sent);
        }
        return update("UPDATE outbox SET state = ?, last_reply = ?, next_attempt = ?, updated = ? WHERE " + LAPSED,
                State.RETRY.name(), "interrupted while sending; sent again with the same Message-ID", ts(now), ts(now),
                State.SENDING.name(), ts(now));
    }

    @Override
    public int consentGiven(String flowId, String operatorId, Instant now) {
        return update("UPDATE outbox SET state = ?, next_attempt = ?, updated = ? WHERE state = ? AND flow_id = ?"
                + " AND operator_id = ?", State.QUEUED.name(), ts(now), ts(now), State.WAITING_CONSENT.name(), flowId,
                operatorId);
    }

    /** How old a content file without a row must be to be removed: another process may be queueing it right now. */
    private static final java.time.Duration ORPHAN_AGE = java.time.Duration.ofHours(1);

    /**
     * Removes the content files nothing will read: those of SENT mails (a crash came between the mark and the
     * removal) and those without a row for an hour (a crash came between the file and the row's commit).
     * @return how many were removed
     */
    int tidySpool(Instant now) {
        if (spool == null || !Files.isDirectory(spool)) {
            return 0;
        }
        int removed = 0;
        try (java.util.stream.Stream<Path> files = Files.list(spool)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                String stem = name.substring(0, Math.max(0, name.length() - SUFFIX.length()));
                if (!name.endsWith(SUFFIX) || !stem.matches("[0-9]{1,18}")) {
                    continue;
                }
                long id = Long.parseLong(stem);
                Optional<OutboxEntry> row = entry(id);
                boolean orphan = row.isEmpty() && Files.getLastModifiedTime(f).toInstant().isBefore(
                        now.minus(ORPHAN_AGE));
                if (orphan || row.map(e -> e.state() == State.SENT).orElse(false)) {
                    deleteQuietly(f);
                    removed++;
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Envoi could not tidy its outbox folder " + spool + ": " + e);
        }
        return removed;
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Envoi could not remove the sent mail's file " + f + " (" + e
                    + "); it is removed at the next start");
        }
    }

    private static final System.Logger LOG = System.getLogger(JdbcOutboxStore.class.getName());

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
