package org.envoi.diffusion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.api.transport.Logins;
import org.envoi.mail.internal.SaslRegistration;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** The outbox path end to end: H2 outbox, worker, Postfix + Dovecot validating tokens at a real OAuth server. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OutboxWorkerTest {

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop(), see TestServers.deleteQuietly
    static Path temp;
    private static MockOAuth2Server oauth;
    private static MailServers servers;
    private static MailPeers peers;

    private final MutableClock clock = new MutableClock();
    private DataSource db;
    private java.nio.file.Path dbFile;
    private JdbcOutboxStore outbox;

    @BeforeAll
    static void start() {
        SaslRegistration.ensureInstalled();
        peers = MailPeers.start(temp);
        oauth = peers.oauth;
        servers = peers.servers;
    }

    @AfterAll
    static void stop() {
        if (peers != null) {
            peers.close();
        }
    }

    @org.junit.jupiter.api.AfterEach
    void closeOutbox() {
        if (db instanceof org.h2.jdbcx.JdbcConnectionPool pool) {
            pool.dispose();
        }
    }

    @BeforeEach
    void openOutbox() throws Exception {
        dbFile = temp.resolve("db-" + UUID.randomUUID()).resolve("envoi");
        db = StoreComponent.h2(dbFile);
        Migrations.migrate(db);
        outbox = new JdbcOutboxStore(db, clock, StoreComponent.outboxFolder(dbFile));
    }

    private static MailServer smtp(int port) {
        return MailServer.of("127.0.0.1", port, TlsMode.NONE).withTimeout(Duration.ofSeconds(10));
    }

    private static Logins tokensOf(String user) {
        return new FreshTokens(oauth, user);
    }

    private static OutgoingMail mail(String to, String subject, byte[] attachment) {
        return new OutgoingMail(UUID.randomUUID() + "@envoi.test", MailServers.address("alice"), List.of(to), List.of(),
                List.of(), subject, "Veuillez trouver le document.", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), attachment == null ? List.of()
                        : List.of(new Attachment("doc.pdf", "application/pdf", attachment)));
    }

    private static OutboxWorker.Route route(MailServer smtp, long attachmentLimitBytes, Logins logins) {
        return SmtpRoutes.route(smtp, attachmentLimitBytes, logins);
    }

    private OutboxWorker worker(OutboxWorker.Route route) {
        return new OutboxWorker(outbox, (flow, op) -> route, clock, Duration.ofSeconds(30), Duration.ofHours(1));
    }

    private void awaitDelivered(String user, long count) throws Exception {
        peers.awaitDelivered(user, count);
    }

    /**
     * Issue 18.1 ({@code envoi serve} stopped by SIGTERM): a stop asked while a pass sends lets the mail on the wire
     * finish and puts the rest of the claimed chunk back in the queue at once (QUEUED, no attempt counted, claim
     * released) instead of sending on or leaving them SENDING until their claim lapses.
     */
    @Test
    void aStopAskedDuringAPassFinishesTheMailOnTheWireAndPutsTheRestBack() throws Exception {
        long before = servers.delivered("bob");
        List<Long> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "stopped pass " + i, null)));
        }
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        OutboxWorker.Route real = route(smtp(servers.smtpPort), 10_000_000, tokensOf("alice"));
        ClassLoader loader = getClass().getClassLoader();
        org.envoi.api.transport.MailTransport transport = (org.envoi.api.transport.MailTransport) java.lang.reflect
                .Proxy.newProxyInstance(loader, new Class<?>[] { org.envoi.api.transport.MailTransport.class },
                        (p, m, a) -> {
                            Object r = m.invoke(real.transport(), a);
                            if (!m.getName().equals("connect")) {
                                return r;
                            }
                            return java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {
                                org.envoi.api.transport.MailTransport.Connection.class }, (p2, m2, a2) -> {
                                    Object r2 = m2.invoke(r, a2);
                                    if (m2.getName().equals("send")) {
                                        stop.set(true); // SIGTERM came while this one was on the wire
                                    }
                                    return r2;
                                });
                        });
        OutboxWorker.Report r = worker(new OutboxWorker.Route(transport, real.mail(), real.attachmentLimitBytes()))
                .serve(stop::get, Duration.ofMillis(100), Duration.ofSeconds(5));
        assertEquals(1, r.sent(), "the mail on the wire went");
        awaitDelivered("bob", before + 1);
        long queued = ids.stream().map(id -> outbox.entry(id).orElseThrow()).filter(e -> e.state() == State.QUEUED
                && e.attempts() == 0).count();
        assertEquals(9, queued, "the rest is back in the queue, untried: " + outbox.list(20));
    }

    /**
     * Issue 19.2 ("Pause sending"): paused while a batch goes, the sender finishes the mail on the wire, puts the rest
     * back untried and claims nothing more, even when woken; its activity says paused and, during the batch, how far it
     * is; resumed, it sends them all.
     */
    @Test
    void pausedTheSenderFinishesTheMailOnTheWireClaimsNothingNewAndResumesOnDemand() throws Exception {
        long before = servers.delivered("bob");
        List<Long> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "paused pass " + i, null)));
        }
        OutboxWorker.Route real = route(smtp(servers.smtpPort), 10_000_000, tokensOf("alice"));
        OutboxWorker[] w = new OutboxWorker[1];
        List<org.envoi.api.mail.OutboxSenders.Activity> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ClassLoader loader = getClass().getClassLoader();
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        org.envoi.api.transport.MailTransport transport = (org.envoi.api.transport.MailTransport) java.lang.reflect
                .Proxy.newProxyInstance(loader, new Class<?>[] { org.envoi.api.transport.MailTransport.class },
                        (p, m, a) -> {
                            Object r = m.invoke(real.transport(), a);
                            if (!m.getName().equals("connect")) {
                                return r;
                            }
                            return java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {
                                org.envoi.api.transport.MailTransport.Connection.class }, (p2, m2, a2) -> {
                                    if (m2.getName().equals("send")) {
                                        seen.add(w[0].activity()); // the batch, as the Outbox's progress bar reads it
                                        if (first.getAndSet(false)) {
                                            w[0].pause(); // the user paused while this one was on the wire
                                        }
                                    }
                                    return m2.invoke(r, a2);
                                });
                        });
        w[0] = worker(new OutboxWorker.Route(transport, real.mail(), real.attachmentLimitBytes()));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture<OutboxWorker.Report> serving = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> w[0].serve(stop::get, Duration.ofMillis(100), Duration.ofSeconds(5)));
        try {
            awaitDelivered("bob", before + 1);
            assertEquals(new org.envoi.api.mail.OutboxSenders.Activity(false, 10, 0), seen.get(0),
                    "the first send of a batch of 10");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (w[0].activity().sending() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(new org.envoi.api.mail.OutboxSenders.Activity(true, 0, 0), w[0].activity(),
                    "paused, the batch ended");
            // woken while paused (a mail queued): two more turns of the loop, and still nothing is claimed
            long turns = w[0].turns();
            w[0].wake();
            while (w[0].turns() < turns + 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(w[0].turns() >= turns + 2, "the paused sender goes on turning");
            long queued = ids.stream().map(id -> outbox.entry(id).orElseThrow()).filter(e -> e.state()
                    == State.QUEUED && e.attempts() == 0).count();
            assertEquals(9, queued, "the rest is back in the queue, untried: " + outbox.list(20));
            assertEquals(1, seen.size(), "nothing more was sent while paused");
            w[0].resume();
            awaitDelivered("bob", before + 10);
            assertEquals(false, w[0].activity().paused());
        } finally {
            stop.set(true);
            w[0].wake();
        }
        assertEquals(10, serving.get(30, TimeUnit.SECONDS).sent(), "each mail once");
    }

    /**
     * Issue 15.7: a pass that fails (here H2's lock time-out, a row held by another connection for longer than it)
     * must not end the background sender: it is logged and reported, the sender waits and goes on, and the mail goes
     * once the database answers again.
     */
    @Test
    void aFailedPassDoesNotStopTheSenderWhichGoesOnOnceTheDatabaseAnswers() throws Exception {
        long before = servers.delivered("bob");
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "after a locked outbox", null));
        OutboxWorker w = worker(route(smtp(servers.smtpPort), 10_000_000, tokensOf("alice")));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> died = new java.util.concurrent.atomic.AtomicReference<>();
        Thread sender = new Thread(() -> {
            try {
                w.serve(stop::get, Duration.ofMillis(200), Duration.ofSeconds(30));
            } catch (Throwable t) {
                died.set(t);
            }
        }, "test-outbox-sender");
        try (java.sql.Connection lock = db.getConnection()) {
            lock.setAutoCommit(false);
            try (java.sql.Statement st = lock.createStatement()) {
                assertEquals(1, st.executeUpdate("UPDATE outbox SET attempts = attempts WHERE id = " + id));
            }
            sender.start();
            // the claim waits for the row, then H2's lock time-out (10 s) fails the pass
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (died.get() == null && w.failing().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(null, died.get(), "the sender thread ended on a failed pass");
            assertTrue(sender.isAlive(), "the sender goes on");
            org.envoi.api.mail.OutboxSenders.Failing f = w.failing().orElseThrow(() -> new AssertionError("no failing pass reported"));
            assertTrue(f.passes() >= 1 && f.reason().toLowerCase().contains("lock"), f.toString());
            lock.rollback();
        }
        awaitDelivered("bob", before + 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (outbox.entry(id).orElseThrow().state() != State.SENT && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(State.SENT, outbox.entry(id).orElseThrow().state());
        assertEquals(Optional.empty(), w.failing(), "the first good pass clears the failure");
        assertTrue(sender.isAlive());
        stop.set(true);
        w.wake();
        sender.join(10_000);
        assertEquals(null, died.get());
    }

    @Test
    void queuedMailsGoOutAndCarryTheServersAnswer() throws Exception {
        long before = servers.delivered("bob");
        long a = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "BL 1", new byte[100_000]));
        long b = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "BL 2", null));
        OutboxWorker.Report r = worker(route(smtp(servers.smtpPort), 10_000_000, tokensOf("alice"))).drain(100);
        assertEquals(2, r.sent());
        for (long id : new long[] { a, b }) {
            var e = outbox.entry(id).orElseThrow();
            assertEquals(State.SENT, e.state());
            assertTrue(e.lastReply().startsWith("250"), e.lastReply());
        }
        assertEquals(0, worker(route(smtp(servers.smtpPort), 0, tokensOf("alice"))).drain(100).sent(),
                "nothing is sent twice");
        peers.awaitDeliveredExactly("bob", before + 2);
    }

    @Test
    void moreThanAChunkGoesOutInOnePassEachMailOnce() throws Exception {
        // several claims in one pass, the connection kept from one chunk to the next
        int n = 2 * OutboxWorker.CHUNK + 7;
        long before = servers.delivered("bob");
        for (int i = 0; i < n; i++) {
            outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "lot " + i, null));
        }
        OutboxWorker.Report r = worker(route(smtp(servers.smtpPort), 0, tokensOf("alice"))).drain(1000);
        assertEquals(n, r.sent());
        assertEquals(n, outbox.count(State.SENT));
        assertEquals(0, outbox.count(State.SENDING), "nothing left claimed");
        peers.awaitDeliveredExactly("bob", before + n); // each mail once
    }

    @Test
    void serverDownKeepsTheMailQueuedAndItGoesLater() throws Exception {
        long before = servers.delivered("eve");
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("eve"), "later", null));
        OutboxWorker.Report down = worker(route(smtp(TestServers.freePort()), 0, tokensOf("alice"))).drain(10);
        assertEquals(1, down.retried());
        var waiting = outbox.entry(id).orElseThrow();
        assertEquals(State.RETRY, waiting.state());
        assertTrue(waiting.lastReply().contains("stays queued"), waiting.lastReply());
        assertEquals(0, worker(route(smtp(servers.smtpPort), 0, tokensOf("alice"))).drain(10).sent(),
                "not before its retry time");
        clock.advance(Duration.ofMinutes(1));
        assertEquals(1, worker(route(smtp(servers.smtpPort), 0, tokensOf("alice"))).drain(10).sent());
        awaitDelivered("eve", before + 1);
    }

    @Test
    void aCrashBetweenClaimAndSendLosesNothingAndSendsOnce() throws Exception {
        long before = servers.delivered("bob");
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "crash", null));
        assertEquals(1, outbox.claimDue(clock.instant(), 10).size()); // ...and the process dies here
        JdbcOutboxStore restarted = new JdbcOutboxStore(db, clock, StoreComponent.outboxFolder(dbFile));
        assertEquals(0, restarted.recoverInterrupted(clock.instant()), "its claim holds a while");
        clock.advance(JdbcOutboxStore.CLAIM_LEASE.plusSeconds(1)); // nobody renewed it: the process is gone
        assertEquals(1, restarted.recoverInterrupted(clock.instant()));
        assertEquals(State.RETRY, restarted.entry(id).orElseThrow().state());
        OutboxWorker w = new OutboxWorker(restarted, (f, o) -> route(smtp(servers.smtpPort), 0, tokensOf("alice")),
                clock, Duration.ofSeconds(30), Duration.ofHours(1));
        assertEquals(1, w.drain(10).sent());
        peers.awaitDeliveredExactly("bob", before + 1);
    }

    @Test
    void aRefusedTokenIsRenewedOnceThenTheMailWaitsForConsent() throws Exception {
        AtomicInteger rejections = new AtomicInteger();
        AtomicReference<String> next = new AtomicReference<>(oauth.clientCredentialsToken("mail", "alice-expired"));
        Logins renewing = new Logins() {
            @Override
            public MailLogin current() {
                return new MailLogin.Bearer("alice", next.get(), Mechanism.XOAUTH2);
            }

            @Override
            public void rejected(MailLogin login) {
                rejections.incrementAndGet();
                next.set(oauth.clientCredentialsToken("mail", "alice")); // the engine refreshes
            }
        };
        long ok = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "renewed", null));
        assertEquals(1, worker(route(smtp(servers.smtpPort), 0, renewing)).drain(10).sent());
        assertEquals(1, rejections.get(), "refreshed once");
        assertEquals(State.SENT, outbox.entry(ok).orElseThrow().state());

        Logins dead = new Logins() {
            @Override
            public MailLogin current() {
                return new MailLogin.Bearer("alice", oauth.clientCredentialsToken("mail", "bob"), Mechanism.XOAUTH2);
            }

            @Override
            public void rejected(MailLogin login) {
                rejections.incrementAndGet();
            }
        };
        long waits = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "waits", null));
        assertEquals(1, worker(route(smtp(servers.smtpPort), 0, dead)).drain(10).waitingConsent());
        var e = outbox.entry(waits).orElseThrow();
        assertEquals(State.WAITING_CONSENT, e.state());
        assertTrue(e.lastReply().contains("sign in again"), e.lastReply());
        assertEquals(2, rejections.get(), "the refused token was handed back once; the renewed one, refused too, means consent");

        assertEquals(1, outbox.consentGiven("m365", "alice", clock.instant()));
        assertEquals(1, worker(route(smtp(servers.smtpPort), 0, tokensOf("alice"))).drain(10).sent(),
                "queued mail goes once consent is back");
    }

    @Test
    void attachmentsOverTheLimitFailBeforeConnecting() {
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "big", new byte[3_000_000]));
        // a closed port: a connection attempt would end in RETRY, not FAILED
        OutboxWorker.Report r = worker(route(smtp(TestServers.freePort()), 1_000_000, tokensOf("alice"))).drain(10);
        assertEquals(1, r.failed());
        var e = outbox.entry(id).orElseThrow();
        assertEquals(State.FAILED, e.state());
        assertTrue(e.lastReply().startsWith(ErrorCode.ATTACHMENTS_TOO_BIG.name()) && e.lastReply().contains("3000000")
                && e.lastReply().contains("1000000"), e.lastReply());
    }

    @Test
    void throttlingIsRetriedAndARefusalStops() throws Exception {
        long before = servers.delivered("bob");
        long busy = outbox.enqueue("m365", "alice", mail(MailServers.THROTTLED, "busy", null));
        long refused = outbox.enqueue("m365", "alice", mail(MailServers.REFUSED, "refused", null));
        long fine = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "fine", null));
        OutboxWorker.Report r = worker(route(smtp(servers.smtpPort), 0, tokensOf("alice"))).drain(10);
        assertEquals(1, r.sent());
        assertEquals(1, r.retried());
        assertEquals(1, r.failed());
        var b = outbox.entry(busy).orElseThrow();
        assertEquals(State.RETRY, b.state());
        assertTrue(b.lastReply().contains("4.7.500"), b.lastReply());
        assertTrue(b.nextAttempt().isAfter(clock.instant()), "backs off");
        var f = outbox.entry(refused).orElseThrow();
        assertEquals(State.FAILED, f.state());
        assertTrue(f.lastReply().contains("5.7.1"), f.lastReply());
        assertEquals(State.SENT, outbox.entry(fine).orElseThrow().state(), "the others on the connection still go");
        awaitDelivered("bob", before + 1);
    }

    @Test
    void aTokenTheServerRefusesIsRefreshedByTheEngineAndTheMailGoes() throws Exception {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        org.envoi.vault.internal.FileTokenVault vault = new org.envoi.vault.internal.FileTokenVault(
                temp.resolve("vault-" + UUID.randomUUID()), key, "test key");
        org.envoi.api.oauth.OAuthClient client = new org.envoi.api.oauth.OAuthClient("m365", "custom",
                oauth.authorizationEndpoint("mail"), oauth.tokenEndpoint("mail"), Optional.empty(), "envoi-desktop",
                false, List.of("openid", "mail", "offline_access"), Optional.empty(), java.util.Map.of());
        org.envoi.oauth.internal.OAuthEngine consenting = new org.envoi.oauth.internal.OAuthEngine(vault,
                id -> Optional.empty(), org.envoi.oauth.internal.OAuthOptions.DEFAULTS, Clock.systemUTC(),
                d -> Thread.sleep(d.toMillis()));
        org.envoi.api.tests.servers.BrowserUser user = new org.envoi.api.tests.servers.BrowserUser("alice");
        consenting.authorize(client, "alice", new org.envoi.oauth.internal.LoopbackConsentHandler(
                url -> new Thread(() -> user.signInAndReturn(url)).start()), Duration.ofSeconds(20));

        // the access token in the vault still looks valid, but the server no longer accepts it (revoked, say)
        org.envoi.api.vault.VaultKey k = org.envoi.api.vault.VaultKey.tokens("m365", "alice");
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(vault.read(k).orElseThrow());
        String stale = oauth.clientCredentialsToken("mail", "alice-expired");
        json.put("access", stale);
        vault.write(k, json.toString());

        org.envoi.oauth.internal.OAuthEngine engine = new org.envoi.oauth.internal.OAuthEngine(vault,
                id -> Optional.empty(), org.envoi.oauth.internal.OAuthOptions.DEFAULTS, Clock.systemUTC(),
                d -> Thread.sleep(d.toMillis()));
        long before = servers.delivered("bob");
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "after a refused token", null));
        OutboxWorker.Report r = worker(route(smtp(servers.smtpPort), 0,
                new TokenLogins(engine, client, "alice", "alice", Mechanism.XOAUTH2))).drain(10);
        assertEquals(1, r.sent(), outbox.entry(id).toString());
        assertEquals(1, engine.tokenRequests(), "one refresh");
        assertTrue(!vault.read(k).orElseThrow().contains(stale), "the refused token was replaced in the vault");
        awaitDelivered("bob", before + 1);
    }

    @Test
    void aConnectionCutInTheMiddleOfDataLosesNothingAndDeliversOnce() throws Exception {
        long before = servers.delivered("bob");
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "cut mid-DATA", new byte[200_000]));
        try (org.envoi.api.tests.servers.CuttingProxy proxy = new org.envoi.api.tests.servers.CuttingProxy(
                servers.smtpPort, 60_000)) {
            OutboxWorker.Report r = worker(route(smtp(proxy.port()), 0, tokensOf("alice"))).drain(10);
            assertEquals(1, r.retried(), outbox.entry(id).toString());
            assertEquals(1, proxy.cuts(), "the connection was cut inside DATA");
        }
        assertEquals(State.RETRY, outbox.entry(id).orElseThrow().state());
        // Postfix queued the mail at MAIL FROM: once its queue is empty the cut one was dropped or delivered
        servers.awaitQueueEmpty();
        assertEquals(before, servers.delivered("bob"), "a half-sent mail is not delivered");
        clock.advance(Duration.ofMinutes(1));
        assertEquals(1, worker(route(smtp(servers.smtpPort), 0, tokensOf("alice"))).drain(10).sent());
        peers.awaitDeliveredExactly("bob", before + 1);
    }

    @Test
    void aServerThatStopsReadingInsideDataTimesOutAndTheMailIsRetried() throws Exception {
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "stalled mid-DATA",
                new byte[8_000_000]));
        try (org.envoi.api.tests.servers.CuttingProxy proxy = org.envoi.api.tests.servers.CuttingProxy.stalling(
                servers.smtpPort, 100_000)) {
            MailServer stalled = MailServer.of("127.0.0.1", proxy.port(), TlsMode.NONE)
                    .withTimeout(Duration.ofSeconds(2));
            long t0 = System.nanoTime();
            OutboxWorker.Report r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> worker(route(stalled, 0, tokensOf("alice"))).drain(10),
                    "a write the server never reads must end at the write time-out");
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertEquals(1, proxy.cuts(), "the server stopped reading inside DATA");
            assertEquals(1, r.retried(), outbox.entry(id).toString());
            assertTrue(seconds < 20, "ended after " + seconds + " s for a 2 s time-out");
        }
        org.envoi.api.mail.OutboxEntry e = outbox.entry(id).orElseThrow();
        assertEquals(State.RETRY, e.state());
        assertTrue(e.lastReply().toLowerCase(java.util.Locale.ROOT).contains("timed out"), e.lastReply());
    }

    @Test
    void whileAMailIsStuckOnASlowServerItsClaimIsRenewedAndNoOtherEnvoiTakesIt() throws Exception {
        // real time, a 1 s lease renewed every 200 ms: a send that lasts 3 s outlives its first lease three times
        Duration lease = Duration.ofSeconds(1);
        Path folder = StoreComponent.outboxFolder(dbFile);
        JdbcOutboxStore sending = new JdbcOutboxStore(db, Clock.systemUTC(), folder, lease);
        JdbcOutboxStore cli = new JdbcOutboxStore(db, Clock.systemUTC(), folder, lease); // the CLI beside it
        long id = sending.enqueue("m365", "alice", mail(MailServers.address("bob"), "slow", new byte[8_000_000]));
        try (org.envoi.api.tests.servers.CuttingProxy proxy = org.envoi.api.tests.servers.CuttingProxy.stalling(
                servers.smtpPort, 100_000)) {
            MailServer slow = MailServer.of("127.0.0.1", proxy.port(), TlsMode.NONE).withTimeout(Duration.ofSeconds(3));
            OutboxWorker w = new OutboxWorker(sending, (f, o) -> route(slow, 0, tokensOf("alice")),
                    Clock.systemUTC(), Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMillis(200));
            java.util.concurrent.CompletableFuture<OutboxWorker.Report> drained = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> w.drain(10));
            int checks = 0;
            boolean seenSending = false;
            while (!drained.isDone()) {
                seenSending |= cli.entry(id).orElseThrow().state() == State.SENDING;
                assertEquals(0, cli.recoverInterrupted(Instant.now()), "taken from the Envoi still sending it");
                checks++;
                Thread.sleep(100);
            }
            assertTrue(seenSending && checks >= 20, "the send outlived its first lease: " + checks + " checks");
            assertEquals(1, drained.get().retried(), "the send ended at the 3 s time-out, by its own worker");
        }
        assertEquals(State.RETRY, cli.entry(id).orElseThrow().state());
    }

    @Test
    void aServingWorkerSendsWhatAStoppedEnvoiLeftSendingOnceItsClaimHasLapsed() throws Exception {
        long before = servers.delivered("bob");
        Duration lease = Duration.ofSeconds(1);
        Path folder = StoreComponent.outboxFolder(dbFile);
        JdbcOutboxStore stopped = new JdbcOutboxStore(db, Clock.systemUTC(), folder, lease);
        long id = stopped.enqueue("m365", "alice", mail(MailServers.address("bob"), "left SENDING", null));
        assertEquals(1, stopped.claimDue(Instant.now(), 10).size()); // ...and that Envoi is killed
        long claimed = System.nanoTime();
        JdbcOutboxStore running = new JdbcOutboxStore(db, Clock.systemUTC(), folder, lease);
        OutboxWorker w = new OutboxWorker(running, (f, o) -> route(smtp(servers.smtpPort), 0, tokensOf("alice")),
                Clock.systemUTC(), Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMillis(200));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture<OutboxWorker.Report> serving = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> w.serve(stop::get, Duration.ofMillis(100), Duration.ofSeconds(5)));
        awaitDelivered("bob", before + 1);
        long afterMs = (System.nanoTime() - claimed) / 1_000_000;
        stop.set(true);
        w.wake();
        assertEquals(1, serving.get(30, TimeUnit.SECONDS).sent());
        assertTrue(afterMs >= lease.toMillis(), "sent " + afterMs + " ms after the claim, before it lapsed");
        peers.awaitDeliveredExactly("bob", before + 1); // the worker has stopped: nothing more can come
        var e = running.entry(id).orElseThrow();
        assertEquals(State.SENT, e.state());
        assertTrue(e.lastReply().startsWith("250"), e.lastReply());
    }

    @Test
    void consentMissingKeepsTheMailWaiting() {
        long id = outbox.enqueue("m365", "dave", mail(MailServers.address("bob"), "no consent", null));
        Logins none = new Logins() {
            @Override
            public MailLogin current() {
                throw new EnvoiException(ErrorCode.CONSENT_REQUIRED, "Nobody has signed in for flow 'm365' as dave.");
            }

            @Override
            public void rejected(MailLogin login) {
            }
        };
        assertEquals(1, worker(route(smtp(servers.smtpPort), 0, none)).drain(10).waitingConsent());
        assertEquals(State.WAITING_CONSENT, outbox.entry(id).orElseThrow().state());
    }

    /**
     * Issue 17: a transport that says when to come back (Graph's 429 with {@code Retry-After}) throws
     * {@link org.envoi.api.transport.RetryLater}; the mail's RETRY is due then, not at the worker's shorter back-off
     * (30 s here). The transport is the real smtp one, throttled once at the send.
     */
    @Test
    void aRetryLaterAtTheSendMakesTheMailDueWhenTheServerSaidNotAtTheBackOff() throws Exception {
        long before = servers.delivered("bob");
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "throttled", null));
        Duration after = Duration.ofMinutes(7);
        OutboxWorker.Route route = throttled(after, false);
        Instant start = clock.instant();
        OutboxWorker.Report r = worker(route).drain(10);
        assertEquals(1, r.retried(), r.toString());
        assertDueAt(id, start.plus(after));
        clock.advance(after.minusSeconds(1));
        assertEquals(0, worker(route).drain(10).sent(), "not before the time the server gave");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(1, worker(route).drain(10).sent());
        awaitDelivered("bob", before + 1);
    }

    /** The same at the login, and beyond the worker's longest back-off (one hour here): the server's time wins. */
    @Test
    void aRetryLaterAtTheLoginIsHonouredBeyondTheLongestBackOff() throws Exception {
        long id = outbox.enqueue("m365", "alice", mail(MailServers.address("bob"), "throttled login", null));
        Duration after = Duration.ofHours(2);
        OutboxWorker.Route route = throttled(after, true);
        Instant start = clock.instant();
        assertEquals(1, worker(route).drain(10).retried());
        assertDueAt(id, start.plus(after));
        clock.advance(Duration.ofHours(1)); // the longest back-off: still not due
        assertEquals(0, worker(route).drain(10).sent(), "not before the time the server gave");
    }

    private void assertDueAt(long id, Instant due) {
        var e = outbox.entry(id).orElseThrow();
        assertEquals(State.RETRY, e.state(), e.toString());
        assertTrue(e.lastReply().contains("429"), e.lastReply());
        assertEquals(0, Duration.between(due, e.nextAttempt()).abs().toMillis(), () -> "due at " + e.nextAttempt()
                + ", the server said " + due);
    }

    /** The smtp transport of the framework, answering the first login or send with "come back {@code after}". */
    private OutboxWorker.Route throttled(Duration after, boolean atLogin) {
        org.envoi.api.transport.MailTransport smtp = SmtpRoutes.smtp();
        AtomicInteger refused = new AtomicInteger();
        org.envoi.api.transport.MailTransport t = new org.envoi.api.transport.MailTransport() {
            @Override
            public String id() {
                return "throttled";
            }

            @Override
            public String displayName() {
                return "Throttled SMTP";
            }

            @Override
            public List<org.envoi.api.provider.FieldDescription> fields() {
                return List.of();
            }

            @Override
            public List<org.envoi.api.provider.FieldProblem> validate(org.envoi.api.flow.Flow flow) {
                return List.of();
            }

            @Override
            public Connection connect(org.envoi.api.transport.MailRoute route) {
                if (atLogin && refused.getAndIncrement() == 0) {
                    throw new org.envoi.api.transport.RetryLater("429 Too Many Requests", after);
                }
                Connection real = smtp.connect(route);
                return new Connection() {
                    @Override
                    public org.envoi.api.mail.SendReceipt send(OutgoingMail m) {
                        if (!atLogin && refused.getAndIncrement() == 0) {
                            throw new org.envoi.api.transport.RetryLater("429 Too Many Requests", after);
                        }
                        return real.send(m);
                    }

                    @Override
                    public boolean isConnected() {
                        return real.isConnected();
                    }

                    @Override
                    public String probe(String from) {
                        return real.probe(from);
                    }

                    @Override
                    public void close() {
                        real.close();
                    }
                };
            }
        };
        OutboxWorker.Route smtpRoute = route(smtp(servers.smtpPort), 0, tokensOf("alice"));
        return new OutboxWorker.Route(t, smtpRoute.mail());
    }
}
