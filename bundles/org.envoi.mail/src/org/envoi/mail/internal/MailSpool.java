package org.envoi.mail.internal;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.envoi.api.mail.FetchedMail;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;

/**
 * Where fetched messages go as they come off the server: owner-only files in a folder (a mail of any size costs no
 * heap), removed on {@link #close()}; or, for small reads and tests, memory.
 */
public final class MailSpool implements AutoCloseable {

    private final Path dir;
    private final List<Path> files = new ArrayList<>();

    private MailSpool(Path dir) {
        this.dir = dir;
    }

    /** Every message in memory: for small mailboxes and tests. */
    public static MailSpool memory() {
        return new MailSpool(null);
    }

    /**
     * Files in {@code dir} (created owner-only if missing). A file a day old there (left by a process killed
     * mid-fetch) is removed.
     */
    public static MailSpool in(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException e) {
                // not POSIX: the data folder's own protection applies
            }
        }
        try (var old = Files.newDirectoryStream(dir, "fetch-*.eml")) {
            for (Path p : old) {
                if (Files.getLastModifiedTime(p).toMillis() < System.currentTimeMillis() - 24 * 3600_000L) {
                    Files.deleteIfExists(p); // a day old: its fetch is long over
                }
            }
        }
        return new MailSpool(dir);
    }

    /**
     * What the mail session needs so that nothing is held whole in memory: POP3's RETR goes to a cache file in this
     * spool's folder (Angus keeps it in memory otherwise); IMAP reads in blocks anyway.
     */
    Map<String, String> sessionProperties() {
        return dir == null ? Map.of() : Map.of("mail.pop3.filecache.enable", "true", "mail.pop3.filecache.dir",
                dir.toString());
    }

    /** The whole message, written as it is read from the server, and how to open it again. */
    FetchedMail.Content write(Message m, long[] size) throws MessagingException, IOException {
        if (dir == null) {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            m.writeTo(raw);
            byte[] bytes = raw.toByteArray();
            size[0] = bytes.length;
            return () -> new java.io.ByteArrayInputStream(bytes);
        }
        // createTempFile makes the file owner-only on POSIX
        Path f = Files.createTempFile(dir, "fetch-", ".eml");
        files.add(f);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(f), 1 << 16)) {
            m.writeTo(out);
        }
        size[0] = Files.size(f);
        return () -> {
            try {
                return Files.newInputStream(f);
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(f.toString(), null, "a fetched mail's content is kept only until"
                        + " fetchNew returns: copy it in the Keeper");
            }
        };
    }

    /** Removes this spool's files: the mails are kept elsewhere by now, or will be fetched again. */
    @Override
    public void close() {
        for (Path p : files) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // removed by the next spool in this folder, a day later
            }
        }
        files.clear();
    }
}
