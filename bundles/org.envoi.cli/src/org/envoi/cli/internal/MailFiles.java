package org.envoi.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.FetchedMail;

/**
 * {@code fetch --save DIR}: each fetched mail as {@code FOLDER-ID.eml}, written and forced to the disk before the
 * fetch is recorded. A file already there is never overwritten (the next free {@code FOLDER-ID-2.eml}...). When one
 * mail cannot be written, the files of this fetch are removed and nothing is recorded, so the next fetch brings the
 * same mails and writes them under the same names.
 */
final class MailFiles {

    private MailFiles() {
    }

    /** @throws EnvoiException INVALID_INPUT naming {@code --save} when the folder or a file cannot be written */
    static List<Path> write(Path dir, String folder, List<FetchedMail> mails) {
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (FetchedMail m : mails) {
                written.add(writeNew(dir, safe(folder) + "-" + safe(m.serverId()), m));
            }
            forceDirectory(dir);
            return written;
        } catch (IOException | RuntimeException e) {
            for (Path p : written) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // the next fetch writes the mail under the next free name
                }
            }
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "save", "--save " + dir + ": the fetched mails could"
                    + " not be written (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); nothing was"
                    + " recorded as fetched, marked or moved: the next fetch brings them again. Free some space or"
                    + " choose another folder.", e);
        }
    }

    private static Path writeNew(Path dir, String base, FetchedMail mail) throws IOException {
        for (int n = 1;; n++) {
            Path file = dir.resolve(base + (n == 1 ? "" : "-" + n) + ".eml");
            FileChannel ch;
            try {
                ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            // streamed: a mail may be larger than the heap
            try (ch; InputStream in = mail.open()) {
                byte[] buffer = new byte[1 << 16];
                for (int read; (read = in.read(buffer)) > 0;) {
                    ByteBuffer b = ByteBuffer.wrap(buffer, 0, read);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
                ch.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(file);
                throw e;
            }
            return file;
        }
    }

    /** The new names in the folder reach the disk too (POSIX; Windows cannot open a folder this way). */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not possible on this platform: the files themselves are forced
        }
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
