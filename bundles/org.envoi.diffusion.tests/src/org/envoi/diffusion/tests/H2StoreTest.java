package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded H2 file database, as the desktop product runs it. */
class H2StoreTest extends StoreContractTest {

    @TempDir
    Path temp;

    private Path file;

    @Override
    protected DataSource freshDatabase() {
        file = temp.resolve(UUID.randomUUID().toString()).resolve("envoi");
        return StoreComponent.h2(file);
    }

    /** As the desktop runs it: the mails' contents in files beside the database. */
    @Override
    protected Path outboxFolder() {
        return StoreComponent.outboxFolder(file);
    }

    private static OutgoingMail invoice(String tag) {
        return new OutgoingMail(tag + "-" + UUID.randomUUID() + "@example.com", "a@example.com",
                List.of("b@example.com"), List.of(), List.of(), "Facture " + tag, "Corps", false,
                OutgoingMail.Priority.NORMAL, Optional.empty(),
                List.of(new Attachment("f.pdf", "application/pdf", new byte[] { 7, 8, 9 })));
    }

    @Test
    void aMailWhoseFileIsGoneStopsWithAReasonNamingItAndTheOthersGo() throws Exception {
        long gone = outbox.enqueue("f", "op", invoice("gone"));
        long kept = outbox.enqueue("f", "op", invoice("kept"));
        Path file = outbox.contentFile(gone).orElseThrow();
        assertTrue(Files.isRegularFile(file), "the content is a file in the outbox folder");
        Files.delete(file);

        List<org.envoi.api.mail.OutboxStore.Claimed> claimed = outbox.claimDue(Instant.now().plusSeconds(1), 10);
        assertEquals(List.of(kept), claimed.stream().map(c -> c.entry().id()).toList());
        assertArrayEquals(new byte[] { 7, 8, 9 }, claimed.get(0).mail().attachments().get(0).content());
        OutboxEntry failed = outbox.entry(gone).orElseThrow();
        assertEquals(State.FAILED, failed.state(), "not claimed again at every pass");
        assertTrue(failed.lastReply().contains(file.toString()) && failed.lastReply().contains("send the document"
                + " again"), failed.lastReply());
    }

    @Test
    void aFolderThatCannotBeWrittenQueuesNothingAndSaysWhere() throws Exception {
        Files.createDirectories(outboxFolder().getParent());
        Files.writeString(outboxFolder(), "a file where the folder should be");
        EnvoiException e = assertThrows(EnvoiException.class, () -> outbox.enqueue("f", "op", invoice("nowhere")));
        assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains(outboxFolder().toString()) && e.getMessage().contains("not queued"),
                e.getMessage());
        assertEquals(0, outbox.count(State.QUEUED), "no row without its content");
        assertTrue(outbox.list(10).isEmpty());
    }

    @Test
    void afterACrashOnlyTheFilesNothingWillReadAreRemoved() throws Exception {
        long queued = outbox.enqueue("f", "op", invoice("queued"));
        long sent = outbox.enqueue("f", "op", invoice("sent"));
        outbox.claimDue(Instant.now().plusSeconds(1), 10);
        Path sentFile = outbox.contentFile(sent).orElseThrow();
        byte[] leftOver = Files.readAllBytes(sentFile);
        outbox.markSent(sent, "250 ok", Instant.now());
        assertFalse(Files.exists(sentFile), "a sent mail's file goes with its mark");
        // the crashes: after the mark but before the removal; after the file but before its row was committed (an
        // hour ago, and a moment ago: another process may be queueing that one)
        Files.write(sentFile, leftOver);
        Path oldOrphan = Files.write(outboxFolder().resolve("900001.mail"), leftOver);
        Files.setLastModifiedTime(oldOrphan, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path freshOrphan = Files.write(outboxFolder().resolve("900002.mail"), leftOver);
        Path notOurs = Files.write(outboxFolder().resolve("notes.txt"), leftOver);

        Instant restart = Instant.now().plus(JdbcOutboxStore.CLAIM_LEASE).plusSeconds(2); // its claim lapsed
        assertEquals(1, outbox.recoverInterrupted(restart), "the queued one, SENDING, goes again");
        assertFalse(Files.exists(sentFile));
        assertFalse(Files.exists(oldOrphan));
        assertTrue(Files.exists(freshOrphan));
        assertTrue(Files.exists(notOurs));
        assertTrue(Files.exists(outbox.contentFile(queued).orElseThrow()), "a mail still to send keeps its file");
        assertEquals(1, outbox.claimDue(restart.plusSeconds(1), 10).size());
    }
}
