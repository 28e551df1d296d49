package org.envoi.mail.internal;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;

/** Sentences for login failures, built from what the server said; never from the token or password. */
final class MailErrors {

    private MailErrors() {
    }

    static EnvoiException authFailed(String protocol, MailServer server, MailLogin login, SaslOutcome outcome,
            String lastReply) {
        String reply = lastReply == null ? "" : lastReply.strip();
        String detail = outcome.status().map(s -> " (the server says status " + s + ")").orElse("");
        String what = login instanceof MailLogin.Bearer
                ? "refused the access token for " + login.user() + detail
                        + ": it is expired, revoked, issued for another user, or lacks the mail scope"
                : "refused the password of " + login.user();
        return new EnvoiException(ErrorCode.MAIL_AUTH_FAILED, null, "The " + protocol + " server "
                + server.endpoint().host() + " " + what + (reply.isEmpty() ? "" : " [" + reply + "]") + ".", null);
    }

    /** The server could not be used: the sentence names the root cause; the mail stays queued. */
    static EnvoiException unavailable(MailServer server, Exception e) {
        Throwable root = e;
        Throwable timeout = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            root = t;
            if (timeout == null && (t instanceof java.net.SocketTimeoutException
                    || t.getMessage() != null && t.getMessage().contains("timed out"))) {
                timeout = t; // a read (SocketTimeoutException) or a write (Angus: "Write timed out") that hung
            }
        }
        if (timeout != null) {
            return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The mail server " + server.endpoint()
                    + " stopped answering or reading for " + server.timeout().toSeconds() + " s (" + timeout
                    .getMessage() + "); the mail stays queued and goes later. If the server is slow rather than"
                    + " down, raise the server's time-out.", e);
        }
        return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The mail server " + server.endpoint()
                + " could not be used (" + root.getClass().getSimpleName() + (root.getMessage() == null ? ""
                        : ": " + root.getMessage()) + "); the mail stays queued and goes later.", e);
    }
}
