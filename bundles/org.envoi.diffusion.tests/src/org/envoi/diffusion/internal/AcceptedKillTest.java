package org.envoi.diffusion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.PostgresServer;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.mail.internal.SaslRegistration;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16.4: a real process running the real {@link OutboxWorker} against Postfix is killed (SIGKILL: no shutdown
 * hook, no finally) on either side of the durable mark of a mail the server accepted, on H2 and on PostgreSQL. Right
 * after the mark, a restarted Envoi sends every other mail and that one is not sent again; in the window between the
 * server's 250 and the mark, the mail on the wire may arrive twice, no other does, none is lost. Delivery is counted
 * once Postfix's queue is empty. Also prints how long that window is.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AcceptedKillTest {

    private static final int COUNT = 5;
    /** The mail at whose acceptance the process is killed, 1-based: two before it, two after. */
    private static final int KILLED_AT = 3;

    @TempDir(cleanup = CleanupMode.NEVER)
    static Path temp;
    private static MailPeers peers;
    private static MailServers servers;
    private static PostgresServer postgres;

    @BeforeAll
    static void start() {
        SaslRegistration.ensureInstalled();
        peers = MailPeers.start(temp.resolve("peers"));
        servers = peers.servers;
        postgres = PostgresServer.start(temp.resolve("pg"));
    }

    @AfterAll
    static void stop() {
        try {
            if (postgres != null) {
                postgres.close();
            }
        } finally {
            if (peers != null) {
                peers.close();
            }
            TestServers.deleteQuietly(temp);
        }
    }

    @Test
    void h2KilledRightAfterTheMarkSendsTheOthersAndThatMailOnce() throws Exception {
        killedRightAfterTheMark(h2("after"), "kill-h2-after");
    }

    @Test
    void postgresKilledRightAfterTheMarkSendsTheOthersAndThatMailOnce() throws Exception {
        killedRightAfterTheMark(postgres("after"), "kill-pg-after");
    }

    @Test
    void h2KilledAsThe250PassesSendsOnlyTheMailOnTheWireTwiceAtMost() throws Exception {
        killedAsThe250Passes(h2("wire"), "kill-h2-wire");
    }

    @Test
    void postgresKilledAsThe250PassesSendsOnlyTheMailOnTheWireTwiceAtMost() throws Exception {
        killedAsThe250Passes(postgres("wire"), "kill-pg-wire");
    }

    /** The child stops in the worker's thread the moment {@code accepted} returned for the third mail; killed there. */
    private void killedRightAfterTheMark(String where, String user) throws Exception {
        try (Child child = Child.start(where, user, servers.smtpPort, KILLED_AT)) {
            child.await("ACCEPTED ");
            child.kill();
        }
        int again = restartAndSend(where, COUNT - KILLED_AT, COUNT - KILLED_AT);
        assertEquals(COUNT - KILLED_AT, again);
        servers.awaitQueueEmpty();
        assertEquals(expected(user, -1), copies(user), "every mail delivered exactly once");
    }

    /**
     * A relay between the child and Postfix passes on Postfix's 250 for the third mail and kills the child at once:
     * the child may or may not have made that acceptance durable. Whichever it was, the outbox tells: the mail goes
     * again (and arrives twice) only when its mark was not durable.
     */
    private void killedAsThe250Passes(String where, String user) throws Exception {
        AtomicReference<Child> running = new AtomicReference<>();
        java.util.concurrent.CountDownLatch killed = new java.util.concurrent.CountDownLatch(1);
        try (SmtpRelay relay = new SmtpRelay(servers.smtpPort, (n, nanos) -> {
            if (n == KILLED_AT) {
                running.get().kill();
                killed.countDown();
            }
        })) {
            try (Child child = Child.start(where, user, relay.port(), 0)) {
                running.set(child);
                child.await("QUEUED ");
                while (!killed.await(100, TimeUnit.MILLISECONDS)) {
                    child.checkAlive();
                    assertTrue(child.lines.stream().noneMatch(l -> l.startsWith("DRAINED")),
                            "the relay saw no third acceptance: " + child.lines);
                }
                child.awaitEnd();
            }
        }
        int again = restartAndSend(where, COUNT - KILLED_AT, COUNT - KILLED_AT + 1);
        boolean twice = again == COUNT - KILLED_AT + 1;
        System.out.println("AcceptedKillTest " + where.substring(0, where.indexOf(':')) + ": killed as the 250 passed,"
                + " the mail on the wire was " + (twice ? "not yet marked: sent again" : "already marked: not sent"
                        + " again"));
        servers.awaitQueueEmpty();
        assertEquals(expected(user, twice ? KILLED_AT - 1 : -1), copies(user),
                "only the mail on the wire, and only when its mark was not durable, arrives twice; none is lost");
    }

    /**
     * Opens the killed process's outbox as a restarted Envoi does and, once the killed process's claim has lapsed,
     * sends what is left with a new worker. @return how many mails went again
     */
    private static int restartAndSend(String where, int least, int most) {
        try (Opened o = open(where)) {
            JdbcOutboxStore outbox = o.store();
            assertEquals(COUNT, outbox.count(State.SENDING) + outbox.count(State.SENT), "all claimed by the child");
            assertEquals(0, outbox.recoverInterrupted(Clock.systemUTC().instant()), "not while the claim holds");
            Clock lapsed = Clock.offset(Clock.systemUTC(), JdbcOutboxStore.CLAIM_LEASE.plusSeconds(1));
            int again = outbox.recoverInterrupted(lapsed.instant());
            assertTrue(again >= least && again <= most, () -> "mails sent again: " + again + ", expected " + least
                    + (least == most ? "" : " or " + most) + ": the ones the killed process never sent"
                    + (least == most ? "" : ", and the one on the wire unless its acceptance was durable"));
            assertEquals(again, worker(outbox, lapsed, servers.smtpPort).drain(100).sent());
            assertEquals(COUNT, outbox.count(State.SENT), "nothing lost");
            return again;
        }
    }

    /** What the mailbox must hold: each mail once, the one at {@code twice} (0-based, or -1 for none) twice. */
    private static Map<String, Integer> expected(String user, int twice) {
        Map<String, Integer> m = new TreeMap<>();
        for (int i = 0; i < COUNT; i++) {
            m.put(user + " " + i, i == twice ? 2 : 1);
        }
        return m;
    }

    /** How many copies of each mail the user's mailbox holds, by subject. */
    private static Map<String, Integer> copies(String user) throws IOException {
        Map<String, Integer> m = new TreeMap<>();
        for (Path f : servers.deliveredFiles(user)) {
            try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.ISO_8859_1)) {
                for (String line; (line = r.readLine()) != null && !line.isEmpty();) {
                    if (line.startsWith("Subject: ")) {
                        m.merge(line.substring("Subject: ".length()), 1, Integer::sum);
                    }
                }
            }
        }
        return m;
    }

    private static OutboxWorker worker(JdbcOutboxStore outbox, Clock clock, int smtpPort) {
        MailServer smtp = MailServer.of("127.0.0.1", smtpPort, TlsMode.NONE).withTimeout(Duration.ofSeconds(10));
        return new OutboxWorker(outbox, (f, o) -> SmtpRoutes.route(smtp, 0, new FreshTokens(peers.oauth,
                "alice")), clock, Duration.ofSeconds(1), Duration.ofMinutes(1));
    }

    /**
     * Not a timed assertion: prints the window in which a kill sends a mail twice, from the relay passing on the
     * server's 250 to the store's {@code accepted} having returned (the mark durable), per mail, on both stores.
     */
    @Test
    void theWindowFromThe250ToTheDurableMarkIsMeasured() throws Exception {
        int mails = 40;
        for (String where : List.of(h2("window"), postgres("window"))) {
            String kind = where.substring(0, where.indexOf(':'));
            String user = "window-" + kind;
            AtomicLongArray at250 = new AtomicLongArray(mails + 1);
            AtomicLongArray atMark = new AtomicLongArray(mails + 1);
            try (Opened o = open(where); SmtpRelay relay = new SmtpRelay(servers.smtpPort, at250::set)) {
                for (int i = 0; i < mails; i++) {
                    o.store().enqueue("m365", "alice", mail(user, i));
                }
                HookedOutbox hooked = new HookedOutbox(o.store(), (n, id, durable) -> {
                    atMark.set(n, System.nanoTime());
                    assertTrue(durable, "durable when accepted() returns");
                });
                OutboxWorker w = new OutboxWorker(hooked, (f, op) -> SmtpRoutes.route(MailServer.of("127.0.0.1",
                        relay.port(), TlsMode.NONE).withTimeout(Duration.ofSeconds(10)), 0, new FreshTokens(
                                peers.oauth, "alice")), Clock.systemUTC(), Duration.ofSeconds(1), Duration.ofMinutes(1));
                assertEquals(mails, w.drain(mails).sent());
            }
            long[] nanos = new long[mails];
            for (int n = 1; n <= mails; n++) {
                nanos[n - 1] = atMark.get(n) - at250.get(n);
                assertTrue(at250.get(n) != 0 && nanos[n - 1] > 0, "the relay saw the 250 before the mark: " + n);
            }
            Arrays.sort(nanos);
            System.out.printf("AcceptedKillTest window %s: from the server's 250 to the durable mark over %d mails:"
                    + " median %.3f ms, 90th percentile %.3f ms, max %.3f ms%n", kind, mails, nanos[mails / 2] / 1e6,
                    nanos[mails * 9 / 10] / 1e6, nanos[mails - 1] / 1e6);
        }
    }

    private static OutgoingMail mail(String user, int i) {
        String to = MailServers.address(user);
        return new OutgoingMail(user + "-" + i + "@envoi.test", MailServers.address("alice"), List.of(to), List.of(),
                List.of(), user + " " + i, "Bonjour", false, OutgoingMail.Priority.NORMAL, Optional.empty(),
                List.of(new Attachment("bl.pdf", "application/pdf", new byte[20_000])));
    }

    private static String h2(String name) {
        return "h2:" + temp.resolve("h2-" + name).resolve("envoi");
    }

    private static String postgres(String name) throws IOException {
        return "pg:" + postgres.createDatabase("kill_" + name);
    }

    /** An outbox as the product opens it: H2 with its outbox folder, PostgreSQL with the contents in the rows. */
    private record Opened(DataSource db, JdbcOutboxStore store) implements AutoCloseable {
        @Override
        public void close() {
            ((org.h2.jdbcx.JdbcConnectionPool) db).dispose();
        }
    }

    private static Opened open(String where) {
        boolean h2 = where.startsWith("h2:");
        Path file = h2 ? Path.of(where.substring(3)) : null;
        DataSource db = h2 ? StoreComponent.h2(file) : StoreComponent.postgresql(where.substring(3),
                PostgresServer.USER, "");
        try {
            Migrations.migrate(db);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return new Opened(db, new JdbcOutboxStore(db, Clock.systemUTC(), h2 ? StoreComponent.outboxFolder(file)
                : null));
    }

    /** The child JVM ({@link AcceptedKillChild}), its standard output read line by line. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final Path err;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private Child(Process process, Path err) {
            this.process = process;
            this.err = err;
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null;) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // killed
                }
            }, "kill-child-out");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(String where, String user, int smtpPort, int stopAt) throws IOException {
            Path err = temp.resolve("child-" + user + ".err");
            Process p = new ProcessBuilder(TestServers.java(), "-cp", TestServers.frameworkClassPath(
                    AcceptedKillTest.class), AcceptedKillChild.class.getName(), where, Integer.toString(COUNT),
                    MailServers.address(user), Integer.toString(smtpPort), Integer.toString(stopAt), user)
                    .redirectError(err.toFile()).start();
            try (Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
                in.write(peers.token("alice") + "\n"); // the token on a pipe, never on the command line
            }
            return new Child(p, err);
        }

        /** Waits for the child's line that starts so. */
        String await(String prefix) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return line;
                }
                if (line != null && line.startsWith("DRAINED")) {
                    fail("the child sent every mail and never said " + prefix + ": " + line);
                }
                if (line == null) {
                    checkAlive();
                }
            }
            return fail("the child did not say " + prefix + " within 60 s: " + stderr());
        }

        void checkAlive() {
            if (!process.isAlive() && lines.isEmpty()) {
                fail("the child process ended early (exit " + process.exitValue() + "): " + stderr());
            }
        }

        /** SIGKILL: the very moment, no shutdown hook, no finally. */
        void kill() {
            process.destroyForcibly();
        }

        void awaitEnd() throws InterruptedException {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the killed child ended");
            assertEquals(137, process.exitValue(), "killed by SIGKILL: " + new ArrayList<>(lines));
        }

        private String stderr() {
            try {
                return Files.readString(err);
            } catch (IOException e) {
                return "(no error output)";
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
