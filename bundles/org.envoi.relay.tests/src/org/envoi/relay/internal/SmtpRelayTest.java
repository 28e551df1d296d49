package org.envoi.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.relay.MailRelay.Listen;
import org.envoi.api.relay.MailRelay.Protocol;
import org.envoi.api.relay.RelayUsers;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

/**
 * The SMTP relay on the real services, with Angus Mail as the ERP that knows only a password, and real Postfix and
 * Dovecot behind the operator's flow (a password flow here: the OAuth2 side is the product test's).
 */
class SmtpRelayTest {

    @TempDir
    static Path temp;
    private static MailPeers peers;
    private static BundleContext ctx;
    private static RelayUsers users;
    private static MailRelay.Listener smtp;
    private static final String FLOW = "relay-carol";
    private static final String OPERATOR = "carol-relay";
    private static final String PASSWORD = "relay-password-of-carol";
    private static final long LIMIT = 200_000;
    /** The data folder's outbox outlives a test run; Message-IDs must not. */
    private static final long RUN = System.currentTimeMillis();

    @BeforeAll
    static void start() {
        peers = MailPeers.start(temp);
        ctx = OsgiServices.context(SmtpRelayTest.class);
        FlowRepository flows = OsgiServices.get(ctx, FlowRepository.class, null);
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        flows.save(new Flow(FLOW, "Relay test", FlowType.BASIC, "custom", new ProviderFields("", "", "", List.of(),
                ConsentHost.PRINT, false), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(
                        MailServer.of("127.0.0.1", peers.servers.smtpPort, TlsMode.NONE)), Optional.empty(),
                Optional.empty(), "carol", Optional.empty(), LIMIT, Optional.empty()));
        OsgiServices.get(ctx, TokenVault.class, null).write(new VaultKey(VaultKey.PASSWORD, FLOW, VaultKey.SHARED),
                MailServers.CAROL_PASSWORD);
        operators.save(new Operator(OPERATOR, "Carol", MailServers.address("carol"), Optional.empty(),
                Optional.of(FLOW), "", ""));
        users = OsgiServices.get(ctx, RelayUsers.class, null);
        users.set(OPERATOR, PASSWORD.toCharArray());
        smtp = OsgiServices.get(ctx, MailRelay.class, null).listen(new Listen(Protocol.SMTP, new InetSocketAddress(
                "127.0.0.1", 0), false, true, Optional.empty(), Optional.empty()));
    }

    @AfterAll
    static void stop() {
        if (smtp != null) {
            smtp.close();
        }
        if (peers != null) {
            peers.close();
        }
    }

    private static Session session(boolean starttls) {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(smtp.address().getPort()));
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.timeout", "30000");
        if (starttls) {
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
            p.put("mail.smtp.ssl.trust", "127.0.0.1");
        }
        return Session.getInstance(p);
    }

    private static MimeMessage message(Session s, String from, String to, String bcc, String subject, int bodyBytes)
            throws MessagingException {
        MimeMessage m = new MimeMessage(s) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", "<" + subject.replace(' ', '-') + "." + RUN + "@erp.example>");
            }
        };
        m.setFrom(new InternetAddress(from));
        m.setRecipient(RecipientType.TO, new InternetAddress(to));
        if (bcc != null) {
            m.setRecipient(RecipientType.BCC, new InternetAddress(bcc));
        }
        m.setSubject(subject);
        m.setText("Bonjour\n" + "x".repeat(bodyBytes));
        m.saveChanges();
        return m;
    }

    /** The message as an ERP that knows its size has it: Angus announces SIZE only then. */
    private static MimeMessage sized(Session s, MimeMessage m) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        m.writeTo(bytes);
        return new MimeMessage(s, new java.io.ByteArrayInputStream(bytes.toByteArray()));
    }

    private static String send(Session s, String user, String password, MimeMessage m) throws MessagingException {
        try (SMTPTransport t = (SMTPTransport) s.getTransport("smtp")) {
            t.connect(user, password);
            t.sendMessage(m, m.getAllRecipients());
            return t.getLastServerResponse();
        }
    }

    private static void awaitDelivered(String user, long count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (peers.servers.delivered(user) < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(count, peers.servers.delivered(user), "mails delivered to " + user);
    }

    @Test
    void aSubmissionGoesOutOnceThroughTheOperatorsFlowWithItsMessageIdAndItsBlindCopy() throws Exception {
        long bob = peers.servers.delivered("bob");
        long eve = peers.servers.delivered("eve");
        Session s = session(false);
        String reply = send(s, OPERATOR, PASSWORD, message(s, MailServers.address("carol"), MailServers.address(
                "bob"), MailServers.address("eve"), "relayed one", 100));
        assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
        assertTrue(reply.contains("<relayed-one." + RUN + "@erp.example>"), reply);
        awaitDelivered("bob", bob + 1);
        awaitDelivered("eve", eve + 1);
        List<String> got = new java.util.ArrayList<>();
        for (Path f : peers.servers.deliveredFiles("bob")) {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            if (text.contains("Message-ID: <relayed-one." + RUN + "@erp.example>")) {
                got.add(text);
            }
        }
        assertEquals(1, got.size(), "bob got it once, its Message-ID kept");
        assertTrue(got.get(0).contains("Subject: relayed one"), got.get(0));
        assertFalse(got.get(0).contains("Bcc:") || got.get(0).contains(MailServers.address("eve")),
                "the blind copy stays blind");
    }

    @Test
    void aWrongPasswordAndAnUnknownUserAreRefusedWith535() {
        Session s = session(false);
        AuthenticationFailedException wrong = assertThrows(AuthenticationFailedException.class, () -> send(s,
                OPERATOR, "not-the-password", message(s, MailServers.address("carol"), MailServers.address("bob"),
                        null, "wrong password", 10)));
        assertTrue(wrong.getMessage().startsWith("535"), wrong.getMessage());
        AuthenticationFailedException unknown = assertThrows(AuthenticationFailedException.class, () -> send(s,
                "nobody", PASSWORD, message(s, MailServers.address("carol"), MailServers.address("bob"), null,
                        "unknown user", 10)));
        assertTrue(unknown.getMessage().startsWith("535"), unknown.getMessage());
        assertFalse(wrong.getMessage().contains("not-the-password"));
    }

    @Test
    void aSenderThatIsNotTheOperatorsIsRefusedWith553() {
        Session s = session(false);
        MessagingException e = assertThrows(MessagingException.class, () -> send(s, OPERATOR, PASSWORD, message(s,
                MailServers.address("alice"), MailServers.address("bob"), null, "foreign sender", 10)));
        SMTPSenderFailedException refused = cause(e, SMTPSenderFailedException.class);
        assertEquals(553, refused.getReturnCode(), refused.getMessage());
        assertTrue(refused.getMessage().contains(MailServers.address("carol")), "says whom it may send as: "
                + refused.getMessage());
    }

    /** Angus announces no SIZE: the relay refuses at the end of DATA, and stores nothing. */
    @Test
    void aMessageOverTheFlowsLimitIsRefusedWith552() throws Exception {
        Session s = session(false);
        MimeMessage big = message(s, MailServers.address("carol"), MailServers.address("bob"), null, "too big",
                (int) LIMIT + 1000);
        MessagingException e = assertThrows(MessagingException.class, () -> send(s, OPERATOR, PASSWORD, big));
        SMTPSendFailedException refused = cause(e, SMTPSendFailedException.class);
        assertEquals(552, refused.getReturnCode(), refused.getMessage());
        assertTrue(refused.getMessage().contains(String.valueOf(LIMIT)), refused.getMessage());
        assertEquals(Optional.empty(), OsgiServices.get(ctx, org.envoi.api.mail.Outbox.class, null).entryOf(
                "too-big." + RUN + "@erp.example"), "nothing stored");
    }

    /** A client that announces SIZE (RFC 1870) hears 552 at MAIL FROM, before it sends the data. */
    @Test
    void anAnnouncedSizeOverTheFlowsLimitIsRefusedWith552BeforeTheData() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", smtp.address().getPort())) {
            socket.setSoTimeout(10_000);
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                    socket.getInputStream(), StandardCharsets.US_ASCII));
            java.io.OutputStream out = socket.getOutputStream();
            assertTrue(reply(in).startsWith("220"));
            out.write("EHLO erp.example\r\n".getBytes(StandardCharsets.US_ASCII));
            String ehlo = reply(in);
            assertTrue(ehlo.contains("SIZE"), ehlo);
            String plain = java.util.Base64.getEncoder().encodeToString(("\0" + OPERATOR + "\0" + PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            out.write(("AUTH PLAIN " + plain + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertTrue(reply(in).startsWith("235"));
            out.write(("MAIL FROM:<" + MailServers.address("carol") + "> SIZE=" + (LIMIT + 1) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String from = reply(in);
            assertTrue(from.startsWith("552 5.3.4") && from.contains(String.valueOf(LIMIT)), from);
            out.write(("MAIL FROM:<" + MailServers.address("carol") + "> SIZE=" + (LIMIT - 1) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertTrue(reply(in).startsWith("250"), "under the limit it goes on");
        }
    }

    /** The connection dropped after the 250: the ERP sends the mail again; it is answered 250 and goes once. */
    @Test
    void aMailSubmittedAgainIsAcceptedOnceAndDeliveredOnce() throws Exception {
        long bob = peers.servers.delivered("bob");
        Session s = session(false);
        String first = send(s, OPERATOR, PASSWORD, message(s, MailServers.address("carol"), MailServers.address(
                "bob"), null, "sent twice", 10));
        String again = send(s, OPERATOR, PASSWORD, message(s, MailServers.address("carol"), MailServers.address(
                "bob"), null, "sent twice", 10));
        assertTrue(first.startsWith("250 2.0.0 Ok: queued as "), first);
        assertTrue(again.startsWith("250 2.0.0 Ok: already queued as "), again);
        awaitDelivered("bob", bob + 1);
        Thread.sleep(1_000); // a second copy would follow within the second: the outbox sends at once
        assertEquals(bob + 1, peers.servers.delivered("bob"), "delivered once");
    }

    private static String reply(java.io.BufferedReader in) throws java.io.IOException {
        StringBuilder all = new StringBuilder();
        String line;
        do {
            line = in.readLine();
            all.append(line).append('\n');
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        return all.toString();
    }

    @Test
    void starttlsOffersEnvoisOwnCertificate() throws Exception {
        long bob = peers.servers.delivered("bob");
        Session s = session(true);
        String reply = send(s, OPERATOR, PASSWORD, message(s, MailServers.address("carol"), MailServers.address(
                "bob"), null, "over starttls", 10));
        assertTrue(reply.startsWith("250"), reply);
        assertTrue(smtp.certificateFingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"),
                smtp.certificateFingerprint());
        awaitDelivered("bob", bob + 1);
    }

    @Test
    void offTheLoopbackAddressTheRelayNeedsAllowRemoteAndTls() {
        MailRelay relay = OsgiServices.get(ctx, MailRelay.class, null);
        InetSocketAddress any = new InetSocketAddress("0.0.0.0", 0);
        EnvoiException noConsent = assertThrows(EnvoiException.class, () -> relay.listen(new Listen(Protocol.SMTP,
                any, false, true, Optional.empty(), Optional.empty())));
        assertEquals(ErrorCode.INVALID_INPUT, noConsent.code());
        assertEquals("--allow-remote", noConsent.field());
        EnvoiException clear = assertThrows(EnvoiException.class, () -> relay.listen(new Listen(Protocol.SMTP, any,
                true, false, Optional.empty(), Optional.empty())));
        assertEquals("--no-tls", clear.field());
    }

    @Test
    void relayPasswordsAreKeptAsSlowSaltedHashesInAnOwnerOnlyFile() throws Exception {
        Path file = DataFolder.resolve(ctx::getProperty).resolve("relay/users");
        String text = Files.readString(file);
        assertFalse(text.contains(PASSWORD), "never the password");
        assertTrue(text.contains(OPERATOR + "\tpbkdf2-sha256$600000$"), text);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(Optional.of(OPERATOR), users.check(OPERATOR, PASSWORD.toCharArray()));
        assertEquals(Optional.empty(), users.check(OPERATOR, "relay-password-of-bob".toCharArray()));
        EnvoiException shortOne = assertThrows(EnvoiException.class, () -> users.set(OPERATOR, "short".toCharArray()));
        assertEquals("password", shortOne.field());
        assertEquals(Optional.of(OPERATOR), users.check(OPERATOR, PASSWORD.toCharArray()), "a refusal changes nothing");
        EnvoiException nobody = assertThrows(EnvoiException.class, () -> users.set("nobody", PASSWORD.toCharArray()));
        assertEquals("operator", nobody.field());
        assertTrue(users.list().stream().anyMatch(u -> u.operatorId().equals(OPERATOR)));
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t instanceof MessagingException m && m.getNextException() != null
                ? m.getNextException() : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + e, e);
    }

}
