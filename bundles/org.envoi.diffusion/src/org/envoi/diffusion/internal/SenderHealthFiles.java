package org.envoi.diffusion.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.envoi.api.mail.OutboxSenders;

/**
 * A failing sender's state as a small owner-only file per process, {@code <data>/run/outbox-sender-<pid>.failing}:
 * written when a pass fails, removed when one works again or the sender stops. Files, not the database, because the
 * database is often what fails. Files of processes no longer alive are ignored and tidied.
 */
final class SenderHealthFiles implements OutboxWorker.Health {

    private static final System.Logger LOG = System.getLogger(SenderHealthFiles.class.getName());
    private static final String PREFIX = "outbox-sender-";
    private static final String SUFFIX = ".failing";

    private final Path dir;
    private final long pid = ProcessHandle.current().pid();

    SenderHealthFiles(Path dataFolder) {
        this.dir = dataFolder.resolve("run");
    }

    private Path own() {
        return dir.resolve(PREFIX + pid + SUFFIX);
    }

    @Override
    public void failing(OutboxSenders.Failing f) {
        Properties p = new Properties();
        p.setProperty("since", f.since().toString());
        p.setProperty("passes", Integer.toString(f.passes()));
        p.setProperty("reason", f.reason());
        p.setProperty("next", f.nextAttempt().toString());
        try {
            if (!Files.isDirectory(dir)) {
                if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                            "rwx------")));
                } else {
                    Files.createDirectories(dir);
                }
            }
            Path tmp = Files.createTempFile(dir, PREFIX, ".tmp"); // 0600 on POSIX
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "Envoi outbox sender of process " + pid);
            }
            Files.move(tmp, own(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not write the sender's state in " + dir + ": " + e);
        }
    }

    @Override
    public void recovered(OutboxSenders.Failing after) {
        clear();
    }

    void clear() {
        try {
            Files.deleteIfExists(own());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not remove " + own() + ": " + e);
        }
    }

    /** The senders failing now, this process's among them. */
    List<OutboxSenders.Failing> read() {
        List<OutboxSenders.Failing> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                long p;
                try {
                    p = Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (!ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)) {
                    Files.deleteIfExists(f); // its process ended without tidying (killed)
                    continue;
                }
                Properties props = new Properties();
                try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                    props.load(r);
                    out.add(new OutboxSenders.Failing(p, Instant.parse(props.getProperty("since")), Integer.parseInt(
                            props.getProperty("passes")), props.getProperty("reason", ""), Instant.parse(props
                                    .getProperty("next"))));
                } catch (IOException | RuntimeException e) {
                    // removed or half-written meanwhile: its sender has moved on
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not read " + dir + ": " + e);
        }
        return out;
    }
}
