package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.sql.DataSource;

import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.Migrations;
import org.envoi.diffusion.internal.OutboxWorker;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

/**
 * PERFORMANCE.md's bulk send: N mails with a 100 KB PDF-like attachment through Postfix with XOAUTH2 (token
 * introspection at a real OAuth server, LMTP into Dovecot, every mail counted as delivered), Envoi's outbox path
 * (durable write, then the worker on one connection) against a plain Angus Mail loop on one reused connection with
 * TCP_NODELAY, in the same run, alternating, median of the rounds. Prints figures; asserts only that every mail was
 * delivered. Run: {@code -Dtest=BulkSendBenchmark -Denvoi.bench.mails=1000} (see README).
 */
class BulkSendBenchmark {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.NEVER) // the mail servers may write after stop
    Path temp;

    @Test
    void outboxPathAgainstThePlainLoop() throws Exception {
        int mails = Integer.getInteger("envoi.bench.mails", 1000);
        int rounds = Integer.getInteger("envoi.bench.rounds", 3);
        int warmup = Integer.getInteger("envoi.bench.warmup", 6);
        SaslRegistration.ensureInstalled();
        byte[] pdf = new byte[100 * 1024];
        new java.util.Random(42).nextBytes(pdf);
        try (MockOAuth2Server oauth = MockOAuth2Server.start(MockOAuth2Server.MAIL_USERS);
                MailServers servers = MailServers.start(temp.resolve("servers"),
                        oauth.introspectionEndpoint("mail").toString())) {
            if (Boolean.getBoolean("envoi.bench.pin")) {
                pin(servers, oauth);
            }
            MailServer smtp = MailServer.of("127.0.0.1", servers.smtpPort, TlsMode.NONE)
                    .withTimeout(Duration.ofSeconds(60));
            List<Double> plain = new ArrayList<>();
            List<Double> envoi = new ArrayList<>();
            List<Double> sender = new ArrayList<>();
            List<Double> plainCpu = new ArrayList<>();
            List<Double> envoiCpu = new ArrayList<>();
            List<Double> senderCpu = new ArrayList<>();
            // one database for the whole run, as a desktop has: the sent rows of earlier rounds stay in it
            Path file = temp.resolve("db").resolve("envoi");
            DataSource db = StoreComponent.h2(file);
            Migrations.migrate(db);
            // as the desktop's store: H2, the contents in files beside it
            JdbcOutboxStore outbox = new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(file));
            List<Double> plainMachine = new ArrayList<>();
            List<Double> envoiMachine = new ArrayList<>();
            // warm-up rounds first, not counted: the JIT compiles H2's, Jackson's and Angus's paths there (seconds of
            // compiler CPU on two cores), as it does once in a desktop that then sends all day
            for (int round = -warmup; round < rounds; round++) {
                String token = oauth.clientCredentialsToken("mail", "alice");
                int r = round + warmup;
                // each path of each round writes to a mailbox of its own: an empty one, as the server slows down while
                // a mailbox fills (plain fell 171 -> 113 mails/s over six rounds into one mailbox)
                String plainBox = "bulk" + r + "p";
                String envoiBox = "bulk" + r + "e";
                String senderBox = "bulk" + r + "s";
                double p = 0;
                double e = 0;
                double s = 0;
                long[] cpu = new long[3];
                long[] machine = new long[3];
                java.util.Map<String, Long> threads0 = Map.of();
                java.util.Map<String, Long> threads1 = Map.of();
                // the order turns from round to round, so that no path always follows the same one
                for (int k = 0; k < 3; k++) {
                    int path = (k + r) % 3;
                    long c0 = cpuNanos();
                    long m0 = machineBusyMs();
                    if (path == 0) {
                        p = plainLoop(servers.smtpPort, token, mails, pdf, plainBox);
                    } else if (path == 1) {
                        threads0 = threadCpu();
                        e = outboxPath(smtp, oauth, mails, pdf, outbox, envoiBox);
                        threads1 = threadsWhenAllSent;
                    } else {
                        s = senderLoop(smtp, token, mails, pdf, senderBox);
                    }
                    cpu[path] = cpuNanos() - c0;
                    settle(servers, path == 0 ? plainBox : path == 1 ? envoiBox : senderBox, mails);
                    machine[path] = machineBusyMs() - m0;
                }
                System.out.printf("BENCH mail.bulk.round %s plain=%.1f envoi_outbox=%.1f sender=%.1f mails/s"
                        + " (ratio %.2f); machine CPU ms per mail plain=%.1f envoi_outbox=%.1f sender=%.1f;"
                        + " outbox path's CPU by thread: %s%n", round < 0 ? "warm-up" : "measured", p, e, s, e / p,
                        (double) machine[0] / mails, (double) machine[1] / mails, (double) machine[2] / mails,
                        busiest(threads0, threads1));
                if (round >= 0) {
                    plain.add(p);
                    envoi.add(e);
                    sender.add(s);
                    plainCpu.add(cpu[0] / 1e6 / mails);
                    envoiCpu.add(cpu[1] / 1e6 / mails);
                    senderCpu.add(cpu[2] / 1e6 / mails);
                    plainMachine.add((double) machine[0] / mails);
                    envoiMachine.add((double) machine[1] / mails);
                }
            }
            // on a saturated machine the rates go as the inverse of the whole machine's CPU per mail (client, Postfix,
            // Dovecot, the OAuth server): this ratio says what the rates' ratio would be without the noise
            System.out.printf("BENCH mail.bulk.machine-cpu ms_per_mail plain=%.1f envoi_outbox=%.1f"
                    + " plain/envoi=%.2f (medians; rounds plain=%s outbox=%s)%n", median(plainMachine),
                    median(envoiMachine), median(plainMachine) / median(envoiMachine), plainMachine, envoiMachine);
            // the client side's CPU per mail (this JVM, every thread: H2's included): on a machine whose cores the
            // mail servers share, each extra millisecond here competes with them
            System.out.printf("BENCH mail.bulk.cpu jvm_cpu_ms_per_mail plain=%.2f envoi_outbox=%.2f sender=%.2f"
                    + " (medians; rounds plain=%s outbox=%s sender=%s)%n", median(plainCpu), median(envoiCpu),
                    median(senderCpu), plainCpu, envoiCpu, senderCpu);
            double p = median(plain);
            double e = median(envoi);
            // each round's own ratio: the rounds' conditions (the machine's other load) differ more than paths in one
            List<Double> perRound = new ArrayList<>();
            for (int i = 0; i < plain.size(); i++) {
                perRound.add(envoi.get(i) / plain.get(i));
            }
            System.out.printf("BENCH mail.bulk.ratio-per-round median=%.2f rounds=%s%n", median(perRound), perRound);
            System.out.printf("BENCH mail.bulk mails=%d warmup=%d rounds=%d plain_angus_nodelay_mails_per_s=%.1f"
                    + " envoi_outbox_mails_per_s=%.1f ratio=%.2f envoi_sender_alone_mails_per_s=%.1f plain=%s envoi=%s"
                    + " sender=%s%n", mails, warmup, rounds, p, e, e / p, median(sender), plain, envoi, sender);
            if (db instanceof org.h2.jdbcx.JdbcConnectionPool pool) {
                pool.dispose();
            }
        }
    }

    /**
     * Client and servers on cores of their own, as in a deployment where the mail server is another machine: this JVM
     * on the first core, Postfix, Dovecot and the OAuth server (their children inherit it) on the others. Needs
     * {@code taskset} (util-linux) and two cores; says so and fails otherwise, as the figures would not be pinned.
     */
    private static void pin(MailServers servers, MockOAuth2Server oauth) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores < 2) {
            throw new IllegalStateException("envoi.bench.pin needs two cores; this machine has " + cores);
        }
        List<ProcessHandle> serverProcesses = new ArrayList<>(servers.processTree());
        serverProcesses.add(oauth.process());
        String others = cores == 2 ? "1" : "1-" + (cores - 1);
        for (ProcessHandle h : serverProcesses) {
            taskset(others, h.pid());
        }
        taskset("0", ProcessHandle.current().pid());
        System.out.printf("BENCH mail.bulk.pinned client=cpu0 servers=cpu%s (%d server processes)%n", others,
                serverProcesses.size());
    }

    private static void taskset(String cpus, long pid) throws Exception {
        Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0 && ProcessHandle.of(pid).isPresent()) {
            throw new IllegalStateException("taskset -a -p -c " + cpus + " " + pid + " failed: " + out.strip());
        }
    }

    /** CPU time per thread name (digits folded) from /proc, native threads (JIT, GC) included; empty elsewhere. */
    private static java.util.Map<String, Long> threadCpu() {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!java.nio.file.Files.isDirectory(tasks)) {
            return out;
        }
        try (var list = java.nio.file.Files.list(tasks)) {
            for (Path t : (Iterable<Path>) list::iterator) {
                try {
                    String stat = java.nio.file.Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // utime and stime, in clock ticks (USER_HZ, 100 on Linux)
                    out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10L, Long::sum);
                } catch (java.io.IOException | RuntimeException ended) {
                    // the thread ended while it was read
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** The threads that took most CPU between two readings (threads that ended in between are not seen). */
    private static String busiest(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
        StringBuilder sb = new StringBuilder();
        after.entrySet().stream()
                .map(en -> java.util.Map.entry(en.getKey(), en.getValue() - before.getOrDefault(en.getKey(), 0L)))
                .filter(en -> en.getValue() > 0).sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(8)
                .forEach(en -> sb.append(en.getKey().strip()).append('=').append(en.getValue()).append("ms "));
        return sb.toString().strip();
    }

    /** This JVM's CPU time, all threads. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Waits until Postfix has handed every mail of a path to Dovecot, so that each measured path starts on a quiet
     * server: otherwise a path pays for the delivery backlog (LMTP, Dovecot writing the mails) the one before left.
     */
    private static void settle(MailServers servers, String mailbox, long expected) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MINUTES.toNanos(5);
        while (servers.delivered(mailbox) < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(expected, servers.delivered(mailbox), "every mail delivered to " + mailbox);
        System.out.printf("BENCH mail.bulk.backlog delivered_after_ms=%d%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /** The busy time of all cores since boot (/proc/stat: user, nice, system, irq, softirq), in ms; 0 elsewhere. */
    private static long machineBusyMs() throws java.io.IOException {
        Path stat = Path.of("/proc/stat");
        if (!java.nio.file.Files.isReadable(stat)) {
            return 0;
        }
        String[] f = java.nio.file.Files.readAllLines(stat).get(0).trim().split("\\s+");
        long ticks = 0;
        for (int i : new int[] { 1, 2, 3, 6, 7 }) {
            ticks += Long.parseLong(f[i]);
        }
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    /** The practical limit: Angus Mail, one connection, TCP_NODELAY sockets, built-in XOAUTH2. */
    private static double plainLoop(int port, String token, int mails, byte[] pdf, String to) throws Exception {
        return MailClassLoader.call(() -> {
            Properties props = new Properties();
            props.put("mail.smtp.socketFactory", MailSockets.plain());
            props.setProperty("mail.smtp.auth", "true");
            props.setProperty("mail.smtp.auth.mechanisms", "XOAUTH2");
            Session session = Session.getInstance(props);
            long t0 = System.nanoTime();
            SMTPTransport t = (SMTPTransport) session.getTransport("smtp");
            t.connect("127.0.0.1", port, "alice", token);
            for (int i = 0; i < mails; i++) {
                MimeMessage m = MimeBuilder.build(session, mail("plain " + i, pdf, to));
                t.sendMessage(m, m.getAllRecipients());
            }
            t.close();
            return mails / ((System.nanoTime() - t0) / 1e9);
        });
    }

    /** Envoi's SMTP sender alone (no outbox): where the transport itself stands against the plain loop. */
    private static double senderLoop(MailServer smtp, String token, int mails, byte[] pdf, String to) {
        long t0 = System.nanoTime();
        try (SmtpSender s = SmtpSender.open(smtp, new MailLogin.Bearer("alice", token, Mechanism.XOAUTH2))) {
            for (int i = 0; i < mails; i++) {
                s.send(mail("sender " + i, pdf, to));
            }
        }
        return mails / ((System.nanoTime() - t0) / 1e9);
    }

    private java.util.Map<String, Long> threadsWhenAllSent = Map.of();

    /** Envoi: each mail written to the H2 outbox, then the worker sends them on one connection. */
    private double outboxPath(MailServer smtp, MockOAuth2Server oauth, int mails, byte[] pdf, JdbcOutboxStore outbox,
            String to) throws Exception {
        int sentBefore = outbox.count(OutboxEntry.State.SENT);
        org.envoi.api.transport.Logins logins = new org.envoi.api.transport.Logins() {
            @Override
            public MailLogin current() {
                return new MailLogin.Bearer("alice", oauth.clientCredentialsToken("mail", "alice"), Mechanism.XOAUTH2);
            }

            @Override
            public void rejected(MailLogin login) {
            }
        };
        // the worker now lives in the diffusion pipeline and drives the smtp transport service as the product does
        org.envoi.api.flow.Flow flow = new org.envoi.api.flow.Flow("m365", "bench", org.envoi.api.flow.FlowType.OAUTH2,
                "custom", new org.envoi.api.provider.ProviderFields("", "alice", "", List.of("mail"),
                        org.envoi.api.provider.ConsentHost.PRINT, true), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(smtp), Optional.empty(), Optional.empty(), "alice", Optional.empty(), 0,
                Optional.empty());
        OutboxWorker.Route route = new OutboxWorker.Route(new SmtpTransport(), new org.envoi.api.transport.MailRoute(
                flow, "alice", "alice", logins));
        OutboxWorker worker = new OutboxWorker(outbox, (f, o) -> route, Clock.systemUTC(), Duration.ofSeconds(30),
                Duration.ofHours(1));
        // the product's mode: the worker serves in the background, woken by every queued mail, while the ERP queues
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<OutboxWorker.Report> serving = CompletableFuture.supplyAsync(
                () -> worker.serve(stop::get, Duration.ofMillis(200), Duration.ofSeconds(30)),
                r -> new Thread(r, "envoi-outbox-bench").start());
        long t0 = System.nanoTime();
        long last = 0;
        for (int i = 0; i < mails; i++) {
            last = outbox.enqueue("bench", "alice", mail("outbox " + i, pdf, to));
            worker.wake();
        }
        long queued = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        // the worker sends in queue order and writes its marks in order: the last mail SENT means all are (checked
        // below); a key lookup every 10 ms, not a COUNT every 2 ms that would take CPU from the path it measures
        long lastId = last;
        while (outbox.entry(lastId).map(en -> en.state() != OutboxEntry.State.SENT).orElse(true)) {
            if (serving.isDone() || System.nanoTime() > deadline) {
                stop.set(true);
                throw new IllegalStateException("the worker stopped short; outbox: " + outbox.list(3));
            }
            Thread.sleep(10); // at most 10 ms late of ~7 s: 0.15 % against Envoi, and little CPU taken from the path
        }
        long end = System.nanoTime();
        threadsWhenAllSent = threadCpu(); // before the worker's threads end
        stop.set(true);
        worker.wake();
        OutboxWorker.Report report = serving.get(1, TimeUnit.MINUTES);
        assertEquals(mails, report.sent(), "every mail sent once by the worker");
        assertEquals(sentBefore + mails, outbox.count(OutboxEntry.State.SENT), "every mail marked SENT");
        System.out.printf("BENCH mail.bulk.outbox-split enqueue_ms=%d (while sending) all_sent_ms=%d%n",
                (queued - t0) / 1_000_000, (end - t0) / 1_000_000);
        return mails / ((end - t0) / 1e9);
    }

    private static OutgoingMail mail(String subject, byte[] pdf, String to) {
        return new OutgoingMail(UUID.randomUUID() + "@envoi.test", MailServers.address("alice"),
                List.of(MailServers.address(to)), List.of(), List.of(), subject, "Bonjour", false,
                OutgoingMail.Priority.NORMAL, Optional.empty(),
                List.of(new Attachment("facture.pdf", "application/pdf", pdf)));
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
