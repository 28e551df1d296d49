package org.envoi.diffusion.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;

/**
 * The process {@link ProcessKillTest} kills: a separate JVM that queues mails in the outbox (and, in mode
 * {@code claim}, marks them SENDING as the worker does just before the wire), says so on standard output, then waits to
 * be killed. Arguments: database file, {@code queue} or {@code claim}, count, recipient.
 */
public final class OutboxCrashChild {

    private OutboxCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        DataSource db = StoreComponent.h2(Path.of(args[0]));
        Migrations.migrate(db);
        JdbcOutboxStore outbox = new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(Path.of(args[0])));
        int count = Integer.parseInt(args[2]);
        byte[] pdf = new byte[50_000];
        for (int i = 0; i < count; i++) {
            outbox.enqueue("m365", "alice", new OutgoingMail(UUID.randomUUID() + "@envoi.test", args[3], List.of(args[3]),
                    List.of(), List.of(), "killed " + args[1] + " " + i, "Bonjour", false,
                    OutgoingMail.Priority.NORMAL, Optional.empty(),
                    List.of(new Attachment("bl.pdf", "application/pdf", pdf))));
            System.out.println("QUEUED " + i);
            System.out.flush();
        }
        if (args[1].equals("claim")) {
            System.out.println("CLAIMED " + outbox.claimDue(Instant.now(), count).size());
            System.out.flush();
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
