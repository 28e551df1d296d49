package org.envoi.diffusion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.mail.internal.SaslRegistration;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process is killed (SIGKILL, no shutdown hook, no finally) right after the outbox said a mail was written, and
 * right after mails were marked SENDING; a new process on the same database file sends every one of them, once.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProcessKillTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    static Path temp;
    private static MockOAuth2Server oauth;
    private static MailServers servers;
    private static MailPeers peers;

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

    @Test
    void killedRightAfterQueueingLosesNoMail() throws Exception {
        afterKill("queue", 20, "QUEUED 19", 0);
    }

    @Test
    void killedBetweenClaimAndSendSendsEachMailOnce() throws Exception {
        afterKill("claim", 8, "CLAIMED 8", 8);
    }

    private void afterKill(String mode, int count, String killAfter, int expectSending) throws Exception {
        Path file = temp.resolve("db-" + mode).resolve("envoi");
        long before = servers.delivered("bob");
        Process child = new ProcessBuilder(TestServers.java(), "-cp",
                TestServers.frameworkClassPath(ProcessKillTest.class), OutboxCrashChild.class.getName(),
                file.toString(), mode, Integer.toString(count), MailServers.address("bob"))
                .redirectError(temp.resolve("child-" + mode + ".err").toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals(killAfter)) {
                // the child reports each committed step
            }
            assertNotNull(line, () -> "the child process ended early: " + read(temp.resolve("child-" + mode + ".err")));
            child.destroyForcibly(); // SIGKILL: the very moment after the outbox returned
            child.waitFor(30, TimeUnit.SECONDS);
        }
        DataSource db = StoreComponent.h2(file);
        try {
            JdbcOutboxStore outbox = new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(file));
            assertEquals(count, outbox.count(State.QUEUED) + outbox.count(State.SENDING),
                    "every mail the killed process had queued is in the outbox");
            assertEquals(expectSending, outbox.count(State.SENDING));
            // the killed process no longer renews its claim: once it has lapsed, its SENDING mails go again
            Clock lapsed = Clock.offset(Clock.systemUTC(), JdbcOutboxStore.CLAIM_LEASE.plusSeconds(1));
            assertEquals(0, outbox.recoverInterrupted(Clock.systemUTC().instant()), "not while the claim holds");
            assertEquals(expectSending, outbox.recoverInterrupted(lapsed.instant()));
            MailServer smtp = MailServer.of("127.0.0.1", servers.smtpPort, TlsMode.NONE)
                    .withTimeout(Duration.ofSeconds(10));
            OutboxWorker worker = new OutboxWorker(outbox, (f, o) -> SmtpRoutes.route(smtp, 0,
                    new FreshTokens(oauth, "alice")), lapsed, Duration.ofSeconds(1), Duration.ofMinutes(1));
            assertEquals(count, worker.drain(100).sent());
            assertEquals(count, outbox.count(State.SENT));
            servers.awaitQueueEmpty(); // every mail Postfix accepted, duplicates included, is in the mailbox now
            assertEquals(before + count, servers.delivered("bob"), "each mail delivered exactly once");
        } finally {
            ((org.h2.jdbcx.JdbcConnectionPool) db).dispose();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "(no error output)";
        }
    }
}
