package org.envoi.diffusion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.MicrosoftSmtpPeer;
import org.envoi.api.transport.Logins;
import org.envoi.mail.internal.SaslRegistration;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17.8: Microsoft 365 with SMTP AUTH switched off (tenant, mailbox, security defaults) answers every login
 * {@code 535 5.7.139}. That is no token problem: the operator must not be sent to sign in again, the token must not be
 * handed back, and the mail must not wait for a consent that would not help. Each reply comes over SMTP from
 * {@link MicrosoftSmtpPeer}, which replays Microsoft's documented lines, to the real SmtpSender and OutboxWorker.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SmtpAuthDisabledTest {

    @TempDir
    Path temp;
    private final MutableClock clock = new MutableClock();
    private DataSource db;
    private JdbcOutboxStore outbox;
    private final AtomicInteger rejections = new AtomicInteger();

    @BeforeAll
    static void sasl() {
        SaslRegistration.ensureInstalled();
    }

    @BeforeEach
    void openOutbox() throws Exception {
        Path dbFile = temp.resolve("db").resolve("envoi");
        db = StoreComponent.h2(dbFile);
        Migrations.migrate(db);
        outbox = new JdbcOutboxStore(db, clock, StoreComponent.outboxFolder(dbFile));
    }

    @AfterEach
    void closeOutbox() {
        if (db instanceof org.h2.jdbcx.JdbcConnectionPool pool) {
            pool.dispose();
        }
    }

    private static MailServer smtp(MicrosoftSmtpPeer peer) {
        return MailServer.of("127.0.0.1", peer.port(), TlsMode.NONE).withTimeout(Duration.ofSeconds(10));
    }

    /** A token the peer never reads; counts how often the worker hands it back for renewal. */
    private Logins tokenOf(String user) {
        return new Logins() {
            @Override
            public MailLogin current() {
                return new MailLogin.Bearer(user, "token-" + UUID.randomUUID(), Mechanism.XOAUTH2);
            }

            @Override
            public void rejected(MailLogin login) {
                rejections.incrementAndGet();
            }
        };
    }

    private static OutgoingMail mail(String from) {
        return new OutgoingMail(UUID.randomUUID() + "@envoi.test", from, List.of("bob@contoso.example"), List.of(),
                List.of(), "BL 17", "Veuillez trouver le document.", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), List.of());
    }

    /** Sends one mail of alice's through the real worker against a peer answering AUTH with {@code reply}. */
    private OutboxEntry sendThrough(String reply) throws Exception {
        try (MicrosoftSmtpPeer peer = new MicrosoftSmtpPeer(reply)) {
            long id = outbox.enqueue("m365", "alice", mail("alice@contoso.example"));
            OutboxWorker w = new OutboxWorker(outbox, (f, o) -> SmtpRoutes.route(smtp(peer), 0, tokenOf(
                    "alice@contoso.example")), clock, Duration.ofSeconds(30), Duration.ofHours(1));
            OutboxWorker.Report r = w.drain(10);
            assertEquals(0, r.waitingConsent(), "a consent would not help: " + r);
            assertEquals(1, peer.authAttempts(), "one login, no renewed token tried");
            return outbox.entry(id).orElseThrow();
        }
    }

    private void assertSwitchedOff(OutboxEntry e, String scope) {
        String why = e.lastReply();
        assertEquals(State.FAILED, e.state(), why);
        assertEquals(0, rejections.get(), "the token was not handed back: it was not refused");
        assertFalse(why.contains("sign in again"), why);
        assertTrue(why.contains("5.7.139"), "the server's own line: " + why);
        assertTrue(why.contains(scope), why);
        assertTrue(why.contains("Set-CASMailbox"), "the administrator's fix: " + why);
        assertTrue(why.contains("Graph"), "the way out: " + why);
        assertTrue(why.contains("envoi outbox retry"), "nothing is lost: " + why);
    }

    @Test
    void tenantSwitchedOffFailsTheMailWithTheAdministratorsFix() throws Exception {
        assertSwitchedOff(sendThrough(MicrosoftSmtpPeer.TENANT_DISABLED), "for the whole organization (tenant)");
    }

    @Test
    void mailboxSwitchedOffNamesTheMailbox() throws Exception {
        OutboxEntry e = sendThrough(MicrosoftSmtpPeer.MAILBOX_DISABLED);
        assertSwitchedOff(e, "for the mailbox alice@contoso.example");
    }

    @Test
    void securityDefaultsNameTheirSwitch() throws Exception {
        OutboxEntry e = sendThrough(MicrosoftSmtpPeer.SECURITY_DEFAULTS);
        assertSwitchedOff(e, "security defaults");
    }

    /** What the flow test (`envoi test`, Test the service) calls: the same sentence, not MAIL_AUTH_FAILED. */
    @Test
    void theFlowTestsLoginSaysTheSame() throws Exception {
        try (MicrosoftSmtpPeer peer = new MicrosoftSmtpPeer(MicrosoftSmtpPeer.TENANT_DISABLED)) {
            // the tester's login: the smtp transport's connect, as FlowTesterService calls it
            EnvoiException e = assertThrows(EnvoiException.class, () -> SmtpRoutes.smtp().connect(SmtpRoutes.route(
                    smtp(peer), 0, tokenOf("alice@contoso.example")).mail()));
            assertEquals(ErrorCode.MAIL_REJECTED, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("Set-CASMailbox"), e.getMessage());
        }
    }

    /** A plain 5.7.3 for the operator's own login stays a refused token: renewed once, then consent. */
    @Test
    void aRefusedTokenStillWaitsForConsent() throws Exception {
        try (MicrosoftSmtpPeer peer = new MicrosoftSmtpPeer(MicrosoftSmtpPeer.UNSUCCESSFUL)) {
            long id = outbox.enqueue("m365", "alice", mail("alice@contoso.example"));
            OutboxWorker w = new OutboxWorker(outbox, (f, o) -> SmtpRoutes.route(smtp(peer), 0, tokenOf(
                    "alice@contoso.example")), clock, Duration.ofSeconds(30), Duration.ofHours(1));
            assertEquals(1, w.drain(10).waitingConsent());
            assertEquals(State.WAITING_CONSENT, outbox.entry(id).orElseThrow().state());
            assertEquals(1, rejections.get(), "handed back once for renewal");
            assertEquals(2, peer.authAttempts());
        }
    }

    /**
     * A generic flow whose login is its shared mailbox: Microsoft answers 5.7.3 (a shared mailbox has no sign-in of its
     * own). The sentence says to sign in as the delegate and send as the shared address; the mail FAILS with it (no
     * renewal, no consent: signing in as the shared mailbox again would not help).
     */
    @Test
    void aSharedMailboxAsTheLoginSaysToSignInAsTheDelegate() throws Exception {
        String shared = "compta@contoso.example";
        try (MicrosoftSmtpPeer peer = new MicrosoftSmtpPeer(MicrosoftSmtpPeer.UNSUCCESSFUL)) {
            long id = outbox.enqueue("m365-compta", "alice", mail(shared));
            OutboxWorker w = new OutboxWorker(outbox, (f, o) -> SmtpRoutes.route(smtp(peer), 0, tokenOf(shared),
                    Optional.of(shared)), clock, Duration.ofSeconds(30), Duration.ofHours(1));
            assertEquals(0, w.drain(10).waitingConsent());
            OutboxEntry e = outbox.entry(id).orElseThrow();
            String why = e.lastReply();
            assertEquals(State.FAILED, e.state(), why);
            assertEquals(0, rejections.get(), "no renewal: " + why);
            assertTrue(why.contains("5.7.3"), why);
            assertTrue(why.contains("delegate"), why);
            assertTrue(why.contains("Send As"), why);
            assertTrue(why.contains("--username"), "the flow's field to set: " + why);
            assertTrue(why.contains("send as " + shared), why);
            assertFalse(why.contains("sign in again"), why);
        }
    }

    /** The delegate's own login refused with 5.7.3 on the same generic flow is a refused token, as before. */
    @Test
    void theDelegatesRefusedTokenStillWaitsForConsent() throws Exception {
        try (MicrosoftSmtpPeer peer = new MicrosoftSmtpPeer(MicrosoftSmtpPeer.UNSUCCESSFUL)) {
            long id = outbox.enqueue("m365-compta", "alice", mail("compta@contoso.example"));
            OutboxWorker w = new OutboxWorker(outbox, (f, o) -> SmtpRoutes.route(smtp(peer), 0, tokenOf(
                    "alice@contoso.example"), Optional.of("compta@contoso.example")), clock, Duration.ofSeconds(30),
                    Duration.ofHours(1));
            assertEquals(1, w.drain(10).waitingConsent());
            assertEquals(State.WAITING_CONSENT, outbox.entry(id).orElseThrow().state());
        }
    }
}
