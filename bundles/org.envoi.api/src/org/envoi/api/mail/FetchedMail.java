package org.envoi.api.mail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A mail read from a mailbox: its headers in memory, its content where the reader put it. {@code MailFetcher} spools
 * each message to a private file in the data folder as it comes off the server, so a mail of any size costs no heap;
 * that file lives until {@code fetchNew} returns, so a {@code MailFetcher.Keeper} copies what it keeps with
 * {@link #open()}.
 *
 * @param serverId the IMAP UID or the POP3 UIDL
 * @param messageId the Message-ID header, without angle brackets, or empty
 * @param from the From header
 * @param subject the subject
 * @param size the size of the whole message in bytes
 * @param content opens the whole message (RFC 5322) as the server sent it
 */
public record FetchedMail(String serverId, String messageId, String from, String subject, long size,
        Content content) {

    /** Where the whole message is: each call opens a new stream from its first byte. */
    @FunctionalInterface
    public interface Content {
        /** @throws IOException also when the message is no longer there (a spool file after the fetch) */
        InputStream open() throws IOException;
    }

    /** A mail held in memory. */
    public FetchedMail(String serverId, String messageId, String from, String subject, byte[] raw) {
        this(serverId, messageId, from, subject, raw.length, () -> new ByteArrayInputStream(raw));
    }

    /** The whole message (RFC 5322), streamed: the caller closes it. */
    public InputStream open() throws IOException {
        return content.open();
    }

    /**
     * The whole message in memory: for small mails only ({@link #open()} for any size).
     *
     * @throws UncheckedIOException when it cannot be read
     */
    public byte[] raw() {
        try (InputStream in = open()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "FetchedMail[" + serverId + ", " + messageId + ", " + subject + ", " + size + " bytes]";
    }
}
