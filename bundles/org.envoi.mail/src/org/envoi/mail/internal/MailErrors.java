package org.envoi.mail.internal;

import java.util.ArrayList;
import java.util.List;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;

/** Sentences for login failures, built from what the server said; never from the token or password. */
final class MailErrors {

    /** A reply whose enhanced status code (RFC 3463) is of class 5.5: the command's syntax or sequence. */
    private static final java.util.regex.Pattern PROTOCOL_STATUS = java.util.regex.Pattern.compile(
            "^\\d{3}[ -]5\\.5\\.\\d{1,3}\\b");

    private MailErrors() {
    }

    static EnvoiException authFailed(String protocol, MailServer server, MailLogin login, SaslOutcome outcome,
            String lastReply) {
        String reply = lastReply == null ? "" : lastReply.strip();
        String detail = outcome.status().map(s -> " (the server says status " + s + ")").orElse("");
        String what = login instanceof MailLogin.Bearer
                ? "refused the access token for " + login.user() + detail
                        + ": it is expired or revoked, or was issued for another user, for another resource (audience)"
                        + " or without the mail scope. Check that the flow's scopes are the mail server's own"
                        + " (Microsoft 365: https://outlook.office.com/IMAP.AccessAsUser.All, .../SMTP.Send,"
                        + " .../POP.AccessAsUser.All, not Microsoft Graph's; Google: https://mail.google.com/),"
                        + " then sign in again"
                : "refused the password of " + login.user();
        return new EnvoiException(ErrorCode.MAIL_AUTH_FAILED, null, "The " + protocol + " server "
                + server.endpoint().host() + " " + what + (reply.isEmpty() ? "" : " [" + reply + "]") + ".", null);
    }

    /**
     * Whether an SMTP reply to the AUTH exchange is about the command itself rather than the credentials: 500-504
     * (syntax, line too long, not implemented, bad sequence) or an enhanced status of class 5.5 (RFC 3463: protocol
     * status). Such a reply says nothing about the token, so it must never send an operator back to sign in.
     */
    static boolean isCommandError(int code, String reply) {
        return code >= 500 && code <= 504 || reply != null && PROTOCOL_STATUS.matcher(reply.strip()).find();
    }

    /** The server refused the AUTH command's form (see {@link #isCommandError}): the mail stays queued. */
    static EnvoiException authCommandRefused(String protocol, MailServer server, String lastReply) {
        String reply = lastReply == null ? "" : lastReply.strip();
        return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The " + protocol + " server " + server
                .endpoint() + " refused Envoi's AUTH command itself [" + reply + "]: this is not a problem of the"
                + " token or of the sign-in, and nobody needs to sign in again. The server (or a relay in front of it)"
                + " does not take this login as sent; the mail stays queued and goes later. If it persists, give the"
                + " server's administrator this answer.", null);
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
        EnvoiException certificate = certificateRefused(server, e);
        if (certificate != null) {
            return certificate;
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

    /**
     * The server's TLS certificate was refused (the handshake or the host name check, both before any login): a
     * sentence that says which of the two and what to do, since the JDK's words ("unable to find valid certification
     * path", "No subject alternative names matching...") tell an operator neither. Null for any other failure.
     * Still MAIL_UNAVAILABLE: the mail stays queued until the server or the flow is put right.
     */
    private static EnvoiException certificateRefused(MailServer server, Exception e) {
        String host = server.endpoint().host();
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        // the whole chain first: an expired certificate comes as a CertPathValidatorException around the expiry
        for (Throwable t : chain) {
            if (t instanceof java.security.cert.CertificateExpiredException
                    || t instanceof java.security.cert.CertificateNotYetValidException) {
                return certificate(server, e, "that has expired or is not valid yet (" + t.getMessage() + ")",
                        "The server's administrator must renew it");
            }
        }
        for (Throwable t : chain) {
            if (t instanceof java.security.cert.CertPathBuilderException
                    || t instanceof java.security.cert.CertPathValidatorException) {
                return certificate(server, e, "that is not signed by a certificate authority Envoi trusts ("
                        + t.getMessage() + ")", "If the server uses your company's own certificate authority, give"
                                + " that authority's PEM file as trustedCertificates of this server in the flow;"
                                + " otherwise the connection may be intercepted: tell the server's administrator");
            }
        }
        for (Throwable t : chain) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            // the JDK's host name check (HostnameChecker, as Angus Mail's checkserveridentity runs it), and Angus's own
            if (t instanceof java.security.cert.CertificateException && (m.startsWith("No subject alternative")
                    || m.startsWith("No name matching")) || m.startsWith("Can't verify identity of server")) {
                return certificate(server, e, "that does not match the host name " + host + " (" + m + ")",
                        "Give the server's host name in the flow exactly as its certificate names it (its"
                                + " administrator can say which), or have the administrator install a certificate for "
                                + host);
            }
        }
        return null;
    }

    private static EnvoiException certificate(MailServer server, Exception e, String what, String todo) {
        return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The mail server " + server.endpoint()
                + " presented a TLS certificate " + what + ": Envoi sent it no login. " + todo
                + "; until then the mail stays queued.", e);
    }
}
