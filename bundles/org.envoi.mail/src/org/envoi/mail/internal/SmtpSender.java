package org.envoi.mail.internal;

import java.util.Optional;
import java.util.regex.Pattern;

import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.mail.SendReceipt;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

/**
 * One authenticated SMTP connection for a batch of mails. Not thread-safe: one sender thread per connection.
 */
public final class SmtpSender implements AutoCloseable {

    private final MailServer server;
    private final Session session;
    private final SMTPTransport transport;
    private final SaslOutcome outcome = new SaslOutcome();
    private final String user;

    /**
     * A refusal to send as the mail's sender: Microsoft 365's {@code 554 5.2.252 SendAsDenied}, Postfix's
     * {@code reject_sender_login_mismatch} ({@code 553 5.7.1 <address>: Sender address rejected: not owned by user}).
     */
    private static final Pattern SEND_AS_DENIED = Pattern.compile(
            "(?i)SendAsDenied|\\b5\\.2\\.252\\b|not owned by user");

    private SmtpSender(MailServer server, MailLogin login) throws MessagingException {
        this.server = server;
        this.user = login.user();
        this.session = MailSessions.session("smtp", server, login, outcome);
        this.transport = (SMTPTransport) session.getTransport("smtp");
    }

    /**
     * Connects and logs in.
     *
     * @throws EnvoiException MAIL_AUTH_FAILED (with the server's reason), MAIL_UNAVAILABLE (also when the server
     *         refuses the AUTH command's syntax or length: that is not a refused token), MAIL_REJECTED when Microsoft
     *         365 has SMTP AUTH switched off (535 5.7.139), INSECURE_CONNECTION; INVALID_FLOW_DATA when a shared
     *         mailbox used as the login is refused (535 5.7.3), see the overload
     */
    public static SmtpSender open(MailServer server, MailLogin login) {
        return open(server, login, Optional.empty());
    }

    /**
     * As {@link #open(MailServer, MailLogin)}, for a flow whose mails go as {@code sharedMailbox}: a login refused
     * with the shared mailbox itself as the user is INVALID_FLOW_DATA saying to sign in as a delegate.
     */
    public static SmtpSender open(MailServer server, MailLogin login, Optional<String> sharedMailbox) {
        return open(server, login, sharedMailbox, "");
    }

    /** @param flowId the flow sending: a refusal that another transport would get around names the command for it */
    public static SmtpSender open(MailServer server, MailLogin login, Optional<String> sharedMailbox, String flowId) {
        return MailClassLoader.call(() -> {
            SmtpSender s;
            try {
                s = new SmtpSender(server, login);
            } catch (MessagingException e) {
                throw MailErrors.unavailable(server, e);
            }
            s.connect(login, sharedMailbox, flowId);
            return s;
        });
    }

    private void connect(MailLogin login, Optional<String> sharedMailbox, String flowId) {
        try {
            transport.connect(server.endpoint().host(), server.endpoint().port(), login.user(),
                    MailSessions.secret(login));
            // Angus logs in only when the server offers AUTH and otherwise connects without a word: a sender that
            // never logged in would then send as if it had
            if (!transport.supportsExtension("AUTH") && !transport.supportsExtension("AUTH=LOGIN")) {
                close();
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The SMTP server " + server.endpoint()
                        + " offers no login (no AUTH in its answer to EHLO" + (server.endpoint().tls()
                                == org.envoi.api.provider.TlsMode.STARTTLS ? " after STARTTLS" : "") + "), so Envoi"
                        + " sends it nothing. Check the flow's SMTP server: mail submission with a login is on port 587"
                        + " (STARTTLS) or 465 (TLS), not on a port 25 relay; the mail stays queued.", null);
            }
        } catch (AuthenticationFailedException e) {
            String reply = transport.getLastServerResponse();
            if (MailErrors.isCommandError(transport.getLastReturnCode(), reply)) {
                throw MailErrors.authCommandRefused("SMTP", server, reply);
            }
            EnvoiException off = MailErrors.smtpAuthSwitchedOff(server, login, reply, flowId);
            if (off != null) {
                throw off; // not the token's fault: no renewal, no new sign-in (issue 17.8)
            }
            EnvoiException shared = MailErrors.sharedMailboxLogin(server, login, sharedMailbox, reply);
            if (shared != null) {
                throw shared;
            }
            throw MailErrors.authFailed("SMTP", server, login, outcome, reply);
        } catch (MessagingException e) {
            throw MailErrors.unavailable(server, e);
        }
    }

    /**
     * Sends one mail on this connection.
     *
     * @throws EnvoiException MAIL_REJECTED for a permanent refusal (5xx), MAIL_UNAVAILABLE for a transient one or a
     *         broken connection (the mail can go again later with the same Message-ID)
     */
    public SendReceipt send(OutgoingMail mail) {
        return MailClassLoader.call(() -> {
            MimeMessage m;
            try {
                m = MimeBuilder.build(session, mail);
            } catch (MessagingException e) {
                throw new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The mail " + mail.messageId()
                        + " cannot be built: " + e.getMessage(), e);
            }
            try {
                transport.sendMessage(m, MimeBuilder.envelope(mail));
                return new SendReceipt(mail.messageId(), lastReply());
            } catch (SendFailedException e) {
                int code = transport.getLastReturnCode();
                if (code >= 500) {
                    throw refused(mail, e);
                }
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The server deferred the mail "
                        + mail.messageId() + ": " + lastReply(), e);
            } catch (MessagingException e) {
                int code = transport.getLastReturnCode();
                if (code >= 500 && code < 600) {
                    throw refused(mail, e);
                }
                throw MailErrors.unavailable(server, e);
            }
        });
    }

    /** MAIL_REJECTED with the server's answer; a refused "Send As" says who lacks which right and what to do. */
    private EnvoiException refused(OutgoingMail mail, MessagingException e) {
        String reply = lastReply();
        if (SEND_AS_DENIED.matcher(reply).find()) {
            return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The server refused the mail " + mail.messageId()
                    + ": the login " + user + " lacks \"Send As\" rights on the mailbox " + mail.from() + " (" + reply
                    + "). Ask that mailbox's administrator to give " + user + " \"Send As\" on it (Microsoft 365:"
                    + " Exchange admin center, the mailbox's delegation), or have the flow sign in with an account"
                    + " that has them; then retry the mail.", e);
        }
        return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The server refused the mail " + mail.messageId()
                + ": " + reply, e);
    }

    /**
     * One real command after AUTH, as the flow tester needs (Microsoft may accept AUTH and refuse what follows, e.g.
     * when SMTP AUTH is disabled for the mailbox): {@code MAIL FROM} then {@code RSET}; nothing is sent.
     *
     * @return the server's answer to MAIL FROM
     * @throws EnvoiException MAIL_REJECTED with the server's answer when MAIL FROM is refused
     */
    public String probe(String from) {
        return MailClassLoader.call(() -> {
            try {
                int code = transport.simpleCommand("MAIL FROM:<" + from.replaceAll("[\\r\\n<>]", "") + ">");
                String reply = lastReply();
                transport.simpleCommand("RSET");
                if (code != 250) {
                    throw new EnvoiException(code >= 500 ? ErrorCode.MAIL_REJECTED : ErrorCode.MAIL_UNAVAILABLE, null,
                            "The server accepted the login but refused to send as " + from + ": " + reply, null);
                }
                return reply;
            } catch (MessagingException e) {
                throw MailErrors.unavailable(server, e);
            }
        });
    }

    private String lastReply() {
        return Optional.ofNullable(transport.getLastServerResponse()).map(String::strip).orElse("");
    }

    public boolean isConnected() {
        return transport.isConnected();
    }

    @Override
    public void close() {
        MailClassLoader.call(() -> {
            try {
                transport.close();
            } catch (MessagingException e) {
                // the mails were already accepted or refused; nothing to do about a failing QUIT
            }
            return null;
        });
    }
}
