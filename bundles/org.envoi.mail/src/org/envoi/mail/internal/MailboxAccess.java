package org.envoi.mail.internal;

import java.io.IOException;

import org.envoi.api.EnvoiException;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.internet.MimeMessage;

/**
 * What the IMAP and POP3 readers share: logging in to a store, turning a message into a {@link FetchedMail}, and
 * telling a refused login from an unreachable server. Call inside {@link MailClassLoader#call}.
 */
public final class MailboxAccess implements AutoCloseable {

    final Store store;
    private final String protocol;
    private final MailServer server;
    private final MailLogin login;
    private final SaslOutcome outcome;

    private MailboxAccess(String protocol, MailServer server, MailLogin login, SaslOutcome outcome, Store store) {
        this.protocol = protocol;
        this.server = server;
        this.login = login;
        this.outcome = outcome;
        this.store = store;
    }

    /** @param protocol {@code imap} or {@code pop3} */
    static MailboxAccess open(String protocol, MailServer server, MailLogin login) {
        return open(protocol, server, login, java.util.Map.of());
    }

    /** @param extra more session properties ({@link MailSpool#sessionProperties()}) */
    static MailboxAccess open(String protocol, MailServer server, MailLogin login,
            java.util.Map<String, String> extra) {
        SaslOutcome outcome = new SaslOutcome();
        try {
            Store store = MailSessions.session(protocol, server, login, outcome, extra).getStore(protocol);
            store.connect(server.endpoint().host(), server.endpoint().port(), login.user(), MailSessions.secret(login));
            return new MailboxAccess(protocol, server, login, outcome, store);
        } catch (MessagingException e) {
            throw failure(protocol, server, login, outcome, e);
        }
    }

    /**
     * A refused login (AuthenticationFailedException, or RFC 3206's {@code [AUTH]} code on a later command: Angus's
     * POP3 XOAUTH2 may take a refused token for a login) becomes MAIL_AUTH_FAILED; anything else MAIL_UNAVAILABLE.
     */
    EnvoiException failure(Exception e) {
        return failure(protocol, server, login, outcome, e);
    }

    private static EnvoiException failure(String protocol, MailServer server, MailLogin login, SaslOutcome outcome,
            Exception e) {
        String name = protocol.toUpperCase(java.util.Locale.ROOT);
        if (e instanceof AuthenticationFailedException || rfc3206Auth(e)) {
            return MailErrors.authFailed(name, server, login, outcome, e.getMessage());
        }
        return MailErrors.unavailable(server, e);
    }

    private static boolean rfc3206Auth(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("[AUTH]")) {
                return true;
            }
        }
        return false;
    }

    /** The message's headers, its content written to {@code spool} as it comes off the server. */
    static FetchedMail fetched(String serverId, Message m, MailSpool spool) throws MessagingException, IOException {
        long[] size = { 0 };
        FetchedMail.Content content = spool.write(m, size);
        return new FetchedMail(serverId, messageId(m), m.getFrom() == null || m.getFrom().length == 0 ? ""
                : m.getFrom()[0].toString(), m.getSubject() == null ? "" : m.getSubject(), size[0], content);
    }

    private static String messageId(Message m) throws MessagingException {
        // an IMAP message has it from its ENVELOPE, without fetching its headers
        String id = m instanceof MimeMessage mm ? mm.getMessageID() : null;
        if (id == null) {
            String[] ids = m.getHeader("Message-ID");
            id = ids == null ? null : ids[0];
        }
        return id == null ? "" : id.replaceAll("[<>\\s]", "");
    }

    /**
     * What names a mail across a renumbering of its mailbox: a digest of its Message-ID, else of its header lines
     * (fetched for such mails only), 64 hex characters whatever their length.
     */
    static String key(Message m) throws MessagingException {
        String id = messageId(m);
        StringBuilder s = new StringBuilder();
        if (!id.isEmpty()) {
            s.append("id:").append(id);
        } else {
            s.append("headers:");
            for (var lines = ((MimeMessage) m).getAllHeaderLines(); lines.hasMoreElements();) {
                s.append(lines.nextElement()).append("\r\n");
            }
        }
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s
                    .toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /**
     * Logs in and opens the INBOX read-only, as the flow tester's "one real command after AUTH".
     *
     * @param protocol {@code imap} or {@code pop3}
     * @return how many messages the INBOX holds
     */
    public static int probe(String protocol, MailServer server, MailLogin login) {
        return MailClassLoader.call(() -> {
            try (MailboxAccess access = open(protocol, server, login)) {
                try {
                    jakarta.mail.Folder inbox = access.store.getFolder("INBOX");
                    inbox.open(jakarta.mail.Folder.READ_ONLY);
                    int count = inbox.getMessageCount();
                    inbox.close(false);
                    return count;
                } catch (MessagingException e) {
                    throw access.failure(e);
                }
            }
        });
    }

    @Override
    public void close() {
        try {
            store.close();
        } catch (MessagingException e) {
            // nothing was changed on the server
        }
    }
}
