package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MailServers.TlsListeners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16.1: TLS as the production paths use it (STARTTLS on 587, 143, 110; implicit TLS on 465, 993, 995) against
 * Postfix and Dovecot listeners that refuse every login before TLS ({@link MailServers#tlsOnly}), so a client that
 * skipped STARTTLS fails; and the two certificates a client must refuse, on every protocol and mode: one for another
 * host name signed by a trusted authority ({@link MailServers#otherName}), one no trusted authority signed.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TlsRealServersTest {

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop(), see TestServers.deleteQuietly
    static Path temp;
    private static MailPeers peers;
    private static MailServers servers;

    @BeforeAll
    static void start() {
        SaslRegistration.ensureInstalled();
        peers = MailPeers.start(temp);
        servers = peers.servers;
    }

    @AfterAll
    static void stop() {
        if (peers != null) {
            peers.close();
        }
    }

    /** The six ways to a mailbox: each protocol with STARTTLS and with implicit TLS. */
    enum Way {
        SMTP_STARTTLS("smtp", TlsMode.STARTTLS), SMTPS("smtp", TlsMode.TLS), IMAP_STARTTLS("imap", TlsMode.STARTTLS),
        IMAPS("imap", TlsMode.TLS), POP3_STARTTLS("pop3", TlsMode.STARTTLS), POP3S("pop3", TlsMode.TLS);

        final String protocol;
        final TlsMode tls;

        Way(String protocol, TlsMode tls) {
            this.protocol = protocol;
            this.tls = tls;
        }

        int port(TlsListeners l) {
            return switch (this) {
                case SMTP_STARTTLS -> l.smtp();
                case SMTPS -> l.smtps();
                case IMAP_STARTTLS -> l.imap();
                case IMAPS -> l.imaps();
                case POP3_STARTTLS -> l.pop3();
                case POP3S -> l.pop3s();
            };
        }

        MailServer on(TlsListeners l, Path trusted) {
            return new MailServer(new ServerEndpoint(l.host(), port(l), tls), Duration.ofSeconds(15), trusted);
        }

        /** Logs in as Envoi does for this protocol and uses the connection once (a fetch, or nothing sent on SMTP). */
        void use(MailServer server, MailLogin login) {
            switch (protocol) {
                case "smtp" -> SmtpSender.open(server, login).close();
                case "imap" -> ImapReader.fetchNew(server, login, "INBOX", ImapMark.NONE);
                default -> Pop3Reader.fetchNew(server, login, Set.of());
            }
        }
    }

    private static MailLogin bearer(String user, Mechanism m) {
        return new MailLogin.Bearer(user, peers.token(user), m);
    }

    private static MailLogin carol() {
        return new MailLogin.Password("carol", MailServers.CAROL_PASSWORD);
    }

    private static OutgoingMail mail(String from, List<String> to, String subject) {
        return new OutgoingMail(UUID.randomUUID() + "@envoi.test", from, to, List.of(), List.of(), subject,
                "Bonjour", false, OutgoingMail.Priority.NORMAL, Optional.empty(), List.of());
    }

    /**
     * The listeners the TLS tests use refuse a login sent in clear, by every command a client could send it with,
     * and offer STARTTLS; the very same dialogue logs in on the suite's plain 127.0.0.1 listeners (so it is a real
     * login, and what refuses it is the listener's TLS rule).
     */
    @Test
    void theTlsListenersRefuseEveryLoginBeforeTls() throws IOException {
        String plain = Base64.getEncoder().encodeToString(("\0carol\0" + MailServers.CAROL_PASSWORD).getBytes(
                StandardCharsets.US_ASCII));
        List<org.junit.jupiter.api.function.Executable> checks = new ArrayList<>();
        for (TlsListeners l : List.of(servers.tlsOnly, servers.otherName)) {
            checks.add(() -> refusesSmtpLoginBeforeTls(l, plain));
            checks.add(() -> refusesImapLoginBeforeTls(l, plain));
            checks.add(() -> refusesPop3LoginBeforeTls(l, plain));
        }
        List<String> failures = new ArrayList<>();
        for (org.junit.jupiter.api.function.Executable check : checks) {
            try {
                check.execute();
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            } catch (Throwable e) {
                throw new AssertionError(e);
            }
        }
        assertEquals(List.of(), failures, "every listener refuses a login before TLS");
        try (Dialogue smtp = new Dialogue("127.0.0.1", servers.smtpPort)) {
            smtp.smtp(null);
            smtp.smtp("EHLO envoi.test");
            assertTrue(smtp.smtp("AUTH PLAIN " + plain).startsWith("235"), "the control: the same AUTH logs in");
        }
        try (Dialogue imap = new Dialogue("127.0.0.1", servers.imapPort)) {
            imap.line();
            assertTrue(imap.imap("a LOGIN carol " + MailServers.CAROL_PASSWORD).contains("a OK"), "the control");
        }
        try (Dialogue pop3 = new Dialogue("127.0.0.1", servers.pop3Port)) {
            pop3.line();
            pop3.pop3("USER carol");
            assertTrue(pop3.pop3("PASS " + MailServers.CAROL_PASSWORD).startsWith("+OK"), "the control");
        }
    }

    private static void refusesSmtpLoginBeforeTls(TlsListeners l, String plain) throws IOException {
        try (Dialogue smtp = new Dialogue(l.host(), l.smtp())) {
            assertTrue(smtp.smtp(null).startsWith("220"));
            String ehlo = smtp.smtp("EHLO envoi.test");
            assertTrue(ehlo.contains("STARTTLS"), ehlo);
            assertFalse(ehlo.contains("AUTH"), "no AUTH offered before TLS on " + l.host() + ": " + ehlo);
            String auth = smtp.smtp("AUTH PLAIN " + plain);
            assertTrue(auth.startsWith("530 5.7.0"), "SMTP AUTH before STARTTLS on " + l.host() + ": " + auth);
            String from = smtp.smtp("MAIL FROM:<" + MailServers.address("carol") + ">");
            assertTrue(from.startsWith("530"), "nothing before STARTTLS on " + l.host() + ": " + from);
        }
    }

    private static void refusesImapLoginBeforeTls(TlsListeners l, String plain) throws IOException {
        try (Dialogue imap = new Dialogue(l.host(), l.imap())) {
            String greeting = imap.line();
            assertTrue(greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED")
                    && !greeting.contains("AUTH="), "IMAP before STARTTLS on " + l.host() + ": " + greeting);
            String login = imap.imap("a LOGIN carol " + MailServers.CAROL_PASSWORD);
            assertTrue(login.contains("a NO [PRIVACYREQUIRED]"), "IMAP LOGIN before STARTTLS: " + login);
            String authenticate = imap.imap("b AUTHENTICATE PLAIN " + plain);
            assertTrue(authenticate.contains("b NO [PRIVACYREQUIRED]"), "IMAP AUTHENTICATE: " + authenticate);
        }
    }

    private static void refusesPop3LoginBeforeTls(TlsListeners l, String plain) throws IOException {
        try (Dialogue pop3 = new Dialogue(l.host(), l.pop3())) {
            assertTrue(pop3.line().startsWith("+OK"));
            assertTrue(pop3.pop3("CAPA").contains("STLS"));
            String user = pop3.pop3("USER carol");
            assertTrue(user.startsWith("-ERR"), "POP3 USER before STLS on " + l.host() + ": " + user);
            String auth = pop3.pop3("AUTH PLAIN " + plain);
            assertTrue(auth.startsWith("-ERR"), "POP3 AUTH before STLS on " + l.host() + ": " + auth);
        }
    }

    /**
     * Envoi's sender and readers over STARTTLS (and implicit TLS) on listeners that refuse a login in clear: a mail
     * sent with a token and one with a password arrive, and IMAP and POP3 read them with a token (bob) and a password
     * (carol).
     */
    @Test
    void starttlsAndTlsSendAndFetchOnServersThatRefuseLoginsInClear() throws Exception {
        Path ca = servers.certificateAuthority();
        TlsListeners l = servers.tlsOnly;
        List<String> to = List.of(MailServers.address("bob"), MailServers.address("carol"));
        Set<String> sent = new java.util.HashSet<>();
        for (Way way : List.of(Way.SMTP_STARTTLS, Way.SMTPS)) {
            for (MailLogin login : List.of(bearer("alice", Mechanism.XOAUTH2), carol())) {
                try (SmtpSender smtp = SmtpSender.open(way.on(l, ca), login)) {
                    OutgoingMail m = mail(MailServers.address(login.user()), to, way + " as " + login.user());
                    assertTrue(smtp.send(m).reply().startsWith("250"), way.toString());
                    sent.add(m.messageId());
                }
            }
        }
        peers.awaitDelivered("bob", sent.size());
        peers.awaitDelivered("carol", sent.size());
        for (Way way : List.of(Way.IMAP_STARTTLS, Way.IMAPS)) {
            for (MailLogin login : List.of(bearer("bob", Mechanism.OAUTHBEARER), bearer("bob", Mechanism.XOAUTH2),
                    carol())) {
                Set<String> read = ImapReader.fetchNew(way.on(l, ca), login, "INBOX", ImapMark.NONE).result().stream()
                        .map(FetchedMail::messageId).collect(Collectors.toSet());
                assertEquals(sent, read, way + " as " + login.user());
            }
        }
        for (Way way : List.of(Way.POP3_STARTTLS, Way.POP3S)) {
            for (MailLogin login : List.of(bearer("bob", Mechanism.XOAUTH2), carol())) {
                Set<String> read = Pop3Reader.fetchNew(way.on(l, ca), login, Set.of()).stream()
                        .map(FetchedMail::messageId).collect(Collectors.toSet());
                assertEquals(sent, read, way + " as " + login.user());
            }
        }
    }

    /**
     * A certificate the trusted test CA signed, but for {@value MailServers#OTHER_NAME} only, is refused whatever the
     * protocol and mode, before any login: the message says the certificate does not match the host name and what to
     * do, and the mail stays queued (MAIL_UNAVAILABLE).
     */
    @Test
    void aCertificateForAnotherHostNameIsRefusedOnEveryProtocolAndMode() {
        Path ca = servers.certificateAuthority();
        List<String> failures = new ArrayList<>();
        for (Way way : Way.values()) {
            EnvoiException e = refusal(way, way.on(servers.otherName, ca), carol(), failures);
            if (e == null) {
                continue;
            }
            String msg = e.getMessage();
            if (e.code() != ErrorCode.MAIL_UNAVAILABLE || !msg.contains("does not match the host name "
                    + MailServers.OTHER_NAME_HOST) || !msg.contains("administrator")) {
                failures.add(way + ": " + e.code() + " " + msg);
            }
            assertFalse(msg.contains(MailServers.CAROL_PASSWORD));
        }
        assertEquals(List.of(), failures, "a clear error for a certificate of another host");
    }

    /** A certificate no trusted authority signed (the test CA not given) is refused on every protocol and mode. */
    @Test
    void aCertificateNoTrustedAuthoritySignedIsRefusedOnEveryProtocolAndMode() {
        List<String> failures = new ArrayList<>();
        for (Way way : Way.values()) {
            MailServer server = way.on(servers.tlsOnly, null);
            MailLogin login = way.protocol.equals("pop3") ? bearer("alice", Mechanism.XOAUTH2)
                    : bearer("alice", Mechanism.OAUTHBEARER);
            EnvoiException e = refusal(way, server, login, failures);
            if (e == null) {
                continue;
            }
            String msg = e.getMessage();
            if (e.code() != ErrorCode.MAIL_UNAVAILABLE || !msg.contains("not signed by a certificate authority Envoi"
                    + " trusts") || !msg.contains("trustedCertificates")) {
                failures.add(way + ": " + e.code() + " " + msg);
            }
            assertFalse(msg.contains(((MailLogin.Bearer) login).token()));
        }
        assertEquals(List.of(), failures, "a clear error for an untrusted certificate");
    }

    /** A certificate past its validity (right name, trusted authority) is refused, and the message says so. */
    @Test
    void anExpiredCertificateIsRefusedSayingSo() {
        MailServer server = new MailServer(new ServerEndpoint(MailServers.TLS_ONLY_HOST, servers.expiredSmtpsPort,
                TlsMode.TLS), Duration.ofSeconds(15), servers.certificateAuthority());
        List<String> failures = new ArrayList<>();
        EnvoiException e = refusal(Way.SMTPS, server, carol(), failures);
        assertEquals(List.of(), failures);
        assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("certificate that has expired or is not valid yet") && e.getMessage()
                .contains("administrator must renew it"), e.getMessage());
    }

    /**
     * A server that offers no AUTH after STARTTLS (a port 25 MX, a relay by address) gets no mail: Angus Mail skips
     * the login without a word when AUTH is not offered, and the sender would then send as if logged in.
     */
    @Test
    void aServerThatOffersNoLoginGetsNothing() {
        MailServer server = new MailServer(new ServerEndpoint(MailServers.TLS_ONLY_HOST, servers.noAuthSmtpPort,
                TlsMode.STARTTLS), Duration.ofSeconds(15), servers.certificateAuthority());
        EnvoiException e = org.junit.jupiter.api.Assertions.assertThrows(EnvoiException.class, () -> SmtpSender.open(
                server, carol()).close(), "open() must not return a sender that never logged in");
        assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("offers no login") && e.getMessage().contains("587"), e.getMessage());
    }

    /** The error Envoi gives on {@code way}, or null when it logged in (then noted in {@code failures}). */
    private static EnvoiException refusal(Way way, MailServer server, MailLogin login, List<String> failures) {
        try {
            way.use(server, login);
            failures.add(way + ": logged in to " + server.endpoint() + " despite its certificate");
            return null;
        } catch (EnvoiException e) {
            return e;
        }
    }

    /** A line-by-line conversation on a plain socket; each read waits for the server's whole answer, no sleeps. */
    private static final class Dialogue implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;

        Dialogue(String host, int port) throws IOException {
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        String line() throws IOException {
            String l = in.readLine();
            if (l == null) {
                throw new IOException("the server closed the connection");
            }
            return l;
        }

        private void send(String command) throws IOException {
            out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** An SMTP reply, all its lines (the last one has a space after the code). */
        String smtp(String command) throws IOException {
            if (command != null) {
                send(command);
            }
            StringBuilder reply = new StringBuilder();
            String l;
            do {
                l = line();
                reply.append(l).append('\n');
            } while (l.length() > 3 && l.charAt(3) == '-');
            return reply.toString();
        }

        /** An IMAP answer up to the tagged line. */
        String imap(String command) throws IOException {
            send(command);
            String tag = command.substring(0, command.indexOf(' ') + 1);
            StringBuilder reply = new StringBuilder();
            String l;
            do {
                l = line();
                reply.append(l).append('\n');
            } while (!l.startsWith(tag));
            return reply.toString();
        }

        /** A POP3 answer: one line, or up to the "." of CAPA. */
        String pop3(String command) throws IOException {
            send(command);
            String first = line();
            if (!command.equals("CAPA") || !first.startsWith("+OK")) {
                return first;
            }
            StringBuilder reply = new StringBuilder(first).append('\n');
            for (String l = line(); !l.equals("."); l = line()) {
                reply.append(l).append('\n');
            }
            return reply.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
