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
     * Microsoft 365's answer when SMTP AUTH is switched off, whatever the token: for the tenant, for the mailbox, or by
     * the tenant's security defaults. Lines as Microsoft documents them ("Troubleshooting" of
     * https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission,
     * where https://aka.ms/smtp_auth_disabled leads): {@code 535 5.7.139 Authentication unsuccessful,
     * SmtpClientAuthentication is disabled for the Tenant|Mailbox. Visit https://aka.ms/smtp_auth_disabled ...} and
     * {@code 535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy.}
     */
    private static final java.util.regex.Pattern SMTP_AUTH_OFF = java.util.regex.Pattern.compile(
            "\\b5\\.7\\.139\\b.*(SmtpClientAuthentication is disabled for the (Tenant|Mailbox)|security defaults)",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    /**
     * The server said SMTP AUTH is switched off (see {@link #SMTP_AUTH_OFF}), or null for any other refusal. Not a token
     * problem: no renewal, no new sign-in would help, only the administrator (or another transport) can. So it is
     * MAIL_REJECTED, which the outbox marks FAILED with this sentence at once rather than keeping the mail waiting for
     * a consent or retrying a login the server refuses for good; once the switch is on, {@code envoi outbox retry}
     * sends it, nothing is lost.
     */
    static EnvoiException smtpAuthSwitchedOff(MailServer server, MailLogin login, String lastReply, String flowId) {
        String reply = lastReply == null ? "" : lastReply.strip();
        java.util.regex.Matcher m = SMTP_AUTH_OFF.matcher(reply);
        if (!m.find()) {
            return null;
        }
        String user = login.user();
        String enableMailbox = "Set-CASMailbox -Identity " + user + " -SmtpClientAuthenticationDisabled $false";
        String where;
        String fix;
        if (m.group(2) == null) {
            where = "by the organization's security defaults (Microsoft Entra ID)";
            fix = "turn the security defaults off in Microsoft Entra ID (Overview, Properties, Manage security"
                    + " defaults; Conditional Access policies can take their place) and enable authenticated SMTP for"
                    + " this mailbox (Exchange Online PowerShell: " + enableMailbox + ")";
        } else if (m.group(2).equalsIgnoreCase("Tenant")) {
            where = "for the whole organization (tenant)";
            fix = "enable authenticated SMTP for this mailbox (Exchange Online PowerShell: " + enableMailbox
                    + ", which overrides the tenant's setting) or for the tenant (Set-TransportConfig"
                    + " -SmtpClientAuthenticationDisabled $false)";
        } else {
            where = "for the mailbox " + user;
            fix = "enable authenticated SMTP for this mailbox (Microsoft 365 admin center: the user's Mail, Manage email"
                    + " apps, Authenticated SMTP; or Exchange Online PowerShell: " + enableMailbox + ")";
        }
        return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The SMTP server " + server.endpoint().host()
                + " refuses every login of " + user + " because Microsoft 365 has SMTP AUTH switched off " + where
                + " [" + reply + "]. This is not a problem of the token or of the sign-in: signing in again would not"
                + " help. Ask the Microsoft 365 administrator to " + fix + ", or have this flow send through"
                + " Microsoft Graph instead (install the Graph transport from the Envoi update site, category"
                + " Transports, then: envoi flow set " + (flowId == null || flowId.isEmpty() ? "FLOW_ID" : flowId)
                + " --transport graph; each operator then signs in to Graph once). The mail is marked FAILED"
                + " and nothing is lost: once SMTP AUTH is on, envoi outbox retry sends it again.", null);
    }

    /** Exchange Online's refusal of a login as such: {@code 535 5.7.3 Authentication unsuccessful}. */
    private static final java.util.regex.Pattern UNSUCCESSFUL = java.util.regex.Pattern.compile(
            "^535[ -]5\\.7\\.3\\b");

    /**
     * A 5.7.3 refusal of a login that is the flow's shared mailbox itself, or null otherwise: a shared mailbox has no
     * sign-in of its own at Microsoft 365, so neither a renewed token nor a new sign-in as it would help. A delegate
     * (a licensed user with "Send As" on it) signs in and the mails still go as the shared address. INVALID_FLOW_DATA
     * naming the username: the outbox marks the mail FAILED with this sentence, and it can be retried once fixed.
     */
    static EnvoiException sharedMailboxLogin(MailServer server, MailLogin login, java.util.Optional<String> shared,
            String lastReply) {
        String reply = lastReply == null ? "" : lastReply.strip();
        if (shared.isEmpty() || !shared.get().equalsIgnoreCase(login.user()) || !UNSUCCESSFUL.matcher(reply).find()) {
            return null;
        }
        String address = shared.get();
        return new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "username", "The SMTP server " + server.endpoint()
                .host() + " refused the login of " + address + " [" + reply + "]: that is the flow's shared mailbox,"
                + " which cannot sign in itself. Sign in as the delegate instead: give the flow as its username"
                + " (envoi flow add ... --generic " + address + " --username USER) a licensed user who has \"Send As\" rights"
                + " on " + address + ", sign in as that user, and Envoi will still send as " + address + " (the flow's"
                + " shared address). The mail is marked FAILED and nothing is lost: envoi outbox retry sends it once the"
                + " flow is put right.", null);
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
