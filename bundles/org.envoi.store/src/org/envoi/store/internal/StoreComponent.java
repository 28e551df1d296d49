package org.envoi.store.internal;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.DataFolder;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxStore;
import org.envoi.api.mail.OutgoingMail;
import org.h2.jdbcx.JdbcConnectionPool;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The default store: an embedded H2 file database in {@code <data>/db}, migrated at activation. Registered as the
 * {@link OutboxStore}; an ERP replaces it by registering its own with a higher ranking.
 */
@Component(service = { OutboxStore.class, org.envoi.api.mail.Outbox.class, FetchMarks.class })
public final class StoreComponent implements OutboxStore, FetchMarks {

    private final JdbcOutboxStore outbox;
    private final JdbcFetchMarks marks;

    @Activate
    public StoreComponent(BundleContext context) throws SQLException {
        this(h2(DataFolder.resolve(context::getProperty).resolve("db/envoi")));
    }

    StoreComponent(DataSource ds) throws SQLException {
        Migrations.migrate(ds);
        this.outbox = new JdbcOutboxStore(ds, Clock.systemUTC());
        this.marks = new JdbcFetchMarks(ds);
    }

    @Override
    public ImapMark imapMark(String mailbox) {
        return marks.imapMark(mailbox);
    }

    @Override
    public void saveImapMark(String mailbox, ImapMark mark) {
        marks.saveImapMark(mailbox, mark);
    }

    @Override
    public java.util.Set<String> pop3Seen(String mailbox) {
        return marks.pop3Seen(mailbox);
    }

    @Override
    public void addPop3Seen(String mailbox, java.util.Collection<String> uidls) {
        marks.addPop3Seen(mailbox, uidls);
    }

    /**
     * An H2 file database behind a small connection pool (opening an H2 file per statement costs milliseconds);
     * AUTO_SERVER lets the CLI and the desktop open it together. WRITE_DELAY=0: every commit is in the file before the
     * call returns; H2's default keeps up to a second of commits in memory, and a killed process lost its queued mails
     * (ProcessKillTest). The file is not forced to the disk on each commit: a power cut may lose the last ones.
     */
    public static DataSource h2(Path file) {
        JdbcConnectionPool pool = JdbcConnectionPool.create("jdbc:h2:file:" + file.toAbsolutePath()
                + ";AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000;WRITE_DELAY=0", "envoi", "");
        pool.setMaxConnections(8);
        return pool;
    }

    @Override
    public long enqueue(String flowId, String operatorId, OutgoingMail mail) {
        return outbox.enqueue(flowId, operatorId, mail);
    }

    @Override
    public Optional<OutboxEntry> entry(long id) {
        return outbox.entry(id);
    }

    @Override
    public List<OutboxEntry> list(int max) {
        return outbox.list(max);
    }

    @Override
    public int count(org.envoi.api.mail.OutboxEntry.State state) {
        return outbox.count(state);
    }

    @Override
    public void retry(long id) {
        outbox.retry(id);
    }

    @Override
    public List<Claimed> claimDue(Instant now, int max) {
        return outbox.claimDue(now, max);
    }

    @Override
    public void markSent(long id, String reply, Instant now) {
        outbox.markSent(id, reply, now);
    }

    @Override
    public void markRetry(long id, String reason, Instant next, Instant now) {
        outbox.markRetry(id, reason, next, now);
    }

    @Override
    public void markFailed(long id, String reason, Instant now) {
        outbox.markFailed(id, reason, now);
    }

    @Override
    public void markWaitingConsent(long id, String reason, Instant now) {
        outbox.markWaitingConsent(id, reason, now);
    }

    @Override
    public void release(long id, Instant now) {
        outbox.release(id, now);
    }

    @Override
    public int recoverInterrupted(Instant now) {
        return outbox.recoverInterrupted(now);
    }

    @Override
    public int consentGiven(String flowId, String operatorId, Instant now) {
        return outbox.consentGiven(flowId, operatorId, now);
    }
}
