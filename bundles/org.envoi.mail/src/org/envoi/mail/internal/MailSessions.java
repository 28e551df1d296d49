package org.envoi.mail.internal;

import java.util.Properties;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.TlsMode;

import jakarta.mail.Session;

/** Builds the Jakarta Mail session properties of one connection: TLS rules, time-outs, sockets, authentication. */
final class MailSessions {

    private MailSessions() {
    }

    /**
     * @param protocol {@code smtp}, {@code imap} or {@code pop3}
     * @throws EnvoiException INSECURE_CONNECTION when a secret would cross a network without TLS
     */
    static Session session(String protocol, MailServer server, MailLogin login, SaslOutcome outcome) {
        return session(protocol, server, login, outcome, java.util.Map.of());
    }

    /** @param extra more properties, e.g. where POP3 caches a message ({@link MailSpool#sessionProperties()}) */
    static Session session(String protocol, MailServer server, MailLogin login, SaslOutcome outcome,
            java.util.Map<String, String> extra) {
        TlsMode tls = server.endpoint().tls();
        if (tls == TlsMode.NONE && !server.isLoopback()) {
            throw new EnvoiException(ErrorCode.INSECURE_CONNECTION, "security", "The " + protocol.toUpperCase()
                    + " server " + server.endpoint().host() + " is set to no TLS: Envoi never sends a token or a"
                    + " password in clear to another machine. Choose STARTTLS or TLS for this server.", null);
        }
        String p = "mail." + protocol + ".";
        Properties props = new Properties();
        String millis = Long.toString(server.timeout().toMillis());
        props.setProperty(p + "connectiontimeout", millis);
        props.setProperty(p + "timeout", millis);
        props.setProperty(p + "writetimeout", millis);
        // a write blocked past the time-out closes the socket; armed and disarmed without a thread hand-off per write
        props.put(p + "executor.writetimeout", WriteDeadlines.INSTANCE);
        props.put(p + "socketFactory", MailSockets.plain());
        props.setProperty(p + "socketFactory.fallback", "false");
        props.put(p + "ssl.socketFactory", MailSockets.tls(server.trustedCertificates()));
        props.setProperty(p + "ssl.checkserveridentity", "true");
        switch (tls) {
            case TLS -> props.setProperty(p + "ssl.enable", "true");
            case STARTTLS -> {
                props.setProperty(p + "starttls.enable", "true");
                props.setProperty(p + "starttls.required", "true");
            }
            case NONE -> props.setProperty(p + "ssl.enable", "false");
        }
        props.setProperty(p + "auth", "true");
        if (login instanceof MailLogin.Bearer b) {
            String mech = b.mechanism().name();
            if (protocol.equals("pop3")) {
                // Angus's POP3 has no SASL path: its own XOAUTH2 (two-line form as Microsoft asks)
                props.setProperty(p + "auth.mechanisms", "XOAUTH2");
                props.setProperty(p + "auth.xoauth2.two.line.authentication.format", "true");
            } else if (!EnvoiSaslProvider.installed()) {
                // the host switched Envoi's JVM-wide SASL provider off (configuration org.envoi.mail.sasl)
                if (b.mechanism() != MailLogin.Mechanism.XOAUTH2) {
                    throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "This flow logs in to "
                            + protocol.toUpperCase() + " with " + mech + ", which needs Envoi's SASL provider, and"
                            + " this application switched it off: set install=true in the configuration "
                            + SaslRegistration.PID + ".", null);
                }
                props.setProperty(p + "sasl.enable", "false"); // Angus Mail's own XOAUTH2 client
                props.setProperty(p + "auth.mechanisms", mech);
            } else {
                props.setProperty(p + "sasl.enable", "true");
                props.setProperty(p + "sasl.mechanisms", mech);
                props.setProperty(p + "auth.mechanisms", mech);
                props.setProperty(p + "sasl.usecanonicalhostname", "false");
                props.put(SaslOutcome.PROPERTY, outcome);
                props.put(SaslOutcome.PROPERTY + ".port", server.endpoint().port());
            }
        } else {
            props.setProperty(p + "sasl.enable", "false");
            props.setProperty(p + "auth.mechanisms", "PLAIN LOGIN");
        }
        // a message body comes in blocks of 1 MB (Angus's default 16 KB costs a round trip per 16 KB), each written
        // out before the next is asked for
        props.setProperty("mail.imap.fetchsize", Integer.toString(1 << 20));
        props.putAll(extra);
        return Session.getInstance(props);
    }

    static String secret(MailLogin login) {
        return login instanceof MailLogin.Bearer b ? b.token() : ((MailLogin.Password) login).password();
    }
}
