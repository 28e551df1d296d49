package org.envoi.diffusion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.envoi.api.mail.OutboxSenders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Flow health screen and {@code outbox list} read about failing senders, across processes. */
class SenderHealthFilesTest {

    @TempDir
    Path data;

    @Test
    void aFailingSenderIsSeenUntilItWorksAgainAndADeadProcessIsForgotten() throws Exception {
        SenderHealthFiles health = new SenderHealthFiles(data);
        assertEquals(List.of(), health.read(), "nothing failing");
        Instant since = Instant.parse("2026-12-04T10:00:00Z");
        health.failing(new OutboxSenders.Failing(ProcessHandle.current().pid(), since, 3, "The outbox database failed: lock time-out", since
                .plusSeconds(4)));
        List<OutboxSenders.Failing> seen = new SenderHealthFiles(data).read(); // as another process reads it
        assertEquals(List.of(new OutboxSenders.Failing(ProcessHandle.current().pid(), since, 3,
                "The outbox database failed: lock time-out", since.plusSeconds(4))), seen);
        Path file = data.resolve("run/outbox-sender-" + ProcessHandle.current().pid() + ".failing");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("run"))));

        health.recovered(null);
        assertEquals(List.of(), health.read(), "a good pass clears it");

        // a process that was killed while failing: its file is ignored and tidied
        Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        Path stale = Files.writeString(data.resolve("run/outbox-sender-" + gone.pid() + ".failing"),
                "since=2026-12-04T10\\:00\\:00Z\npasses=1\nreason=x\nnext=2026-12-04T10\\:00\\:01Z\n");
        assertEquals(List.of(), health.read());
        assertFalse(Files.exists(stale));
    }
}
