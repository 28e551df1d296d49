package org.envoi.diffusion.internal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutboxStore;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.TlsMode;
import org.envoi.mail.internal.SaslRegistration;
import org.envoi.mail.internal.SmtpTransport;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;

/**
 * The process {@link AcceptedKillTest} kills while the real {@link OutboxWorker} sends through a real SMTP server:
 * it queues {@code count} mails, says {@code QUEUED}, then drains the outbox. With {@code stop} = k &gt; 0 the k-th
 * {@link OutboxStore#accepted} says {@code ACCEPTED <id>} once it returned and blocks there, waiting for the kill;
 * with 0 it never blocks (the test's SMTP relay kills it as the server's answer passes). Arguments: {@code h2:<file>}
 * or {@code pg:<jdbc url>}, count, recipient, SMTP port, stop, subject prefix. The bearer token comes on standard
 * input (never on a command line).
 */
public final class AcceptedKillChild {

    private AcceptedKillChild() {
    }

    public static void main(String[] args) throws Exception {
        String token = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        SaslRegistration.ensureInstalled();
        JdbcOutboxStore outbox = store(args[0]);
        int count = Integer.parseInt(args[1]);
        String to = args[2];
        int smtpPort = Integer.parseInt(args[3]);
        int stop = Integer.parseInt(args[4]);
        String prefix = args[5];
        byte[] pdf = new byte[20_000];
        for (int i = 0; i < count; i++) {
            outbox.enqueue("m365", "alice", new OutgoingMail(prefix + "-" + i + "@envoi.test", "alice@example.test",
                    List.of(to), List.of(), List.of(), prefix + " " + i, "Bonjour", false,
                    OutgoingMail.Priority.NORMAL, Optional.empty(),
                    List.of(new Attachment("bl.pdf", "application/pdf", pdf))));
        }
        System.out.println("QUEUED " + count);
        System.out.flush();
        MailServer smtp = MailServer.of("127.0.0.1", smtpPort, TlsMode.NONE).withTimeout(Duration.ofSeconds(10));
        org.envoi.api.transport.Logins logins = new org.envoi.api.transport.Logins() {
            @Override
            public MailLogin current() {
                return new MailLogin.Bearer("alice", token, MailLogin.Mechanism.XOAUTH2);
            }

            @Override
            public void rejected(MailLogin login) {
            }
        };
        OutboxWorker worker = new OutboxWorker(new HookedOutbox(outbox, (n, id, durable) -> {
            if (n == stop) {
                System.out.println("ACCEPTED " + id + " " + durable);
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
        }), (f, o) -> SmtpRoutes.route(new SmtpTransport(), smtp, 0, logins,
                Optional.empty()), Clock.systemUTC(), Duration.ofSeconds(1),
                Duration.ofMinutes(1));
        System.out.println("DRAINED " + worker.drain(count)); // only when nothing killed it
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private static JdbcOutboxStore store(String where) throws java.sql.SQLException {
        if (where.startsWith("h2:")) {
            Path file = Path.of(where.substring(3));
            DataSource db = StoreComponent.h2(file);
            Migrations.migrate(db);
            return new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(file));
        }
        DataSource db = StoreComponent.postgresql(where.substring(3), "envoi", "");
        Migrations.migrate(db);
        return new JdbcOutboxStore(db, Clock.systemUTC());
    }
}
