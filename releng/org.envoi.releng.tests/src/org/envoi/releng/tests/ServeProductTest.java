package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.releng.tests.BuiltProduct.Run;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

/**
 * Issue 18.4: {@code envoi serve --smtp} through the product's script, on mock-oauth2-server, Postfix (XOAUTH2) and
 * Dovecot. The ERP is Angus Mail with a password only.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeProductTest {

    @TempDir
    static Path temp;
    private static MailPeers peers;
    private static Path data;
    private static final String KEY = key();
    private static final String FLOW = "relay";
    private static final String OPERATOR = "bob";
    private static final String PASSWORD = "bobs-relay-password";
    private static final int PORT = TestServers.freePort();
    private static final int IMAP_PORT = TestServers.freePort();
    private static Process server;
    private static final List<String> serverOut = Collections.synchronizedList(new ArrayList<>());
    private static final List<String> serverErr = Collections.synchronizedList(new ArrayList<>());
    private static final long RUN = System.currentTimeMillis();

    @BeforeAll
    static void start() {
        peers = MailPeers.start(temp);
        data = temp.resolve("data");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.destroyForcibly();
        }
        if (peers != null) {
            peers.close();
        }
    }

    private static String key() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return Base64.getEncoder().encodeToString(k);
    }

    private static Process start(String... args) throws IOException {
        return BuiltProduct.start(BuiltProduct.linuxProduct(), data, Map.of("ENVOI_VAULT_KEY", KEY), args);
    }

    private static Run run(String stdin, String... args) throws Exception {
        return BuiltProduct.runWithInput(BuiltProduct.linuxProduct(), data, Map.of("ENVOI_VAULT_KEY", KEY), stdin,
                args);
    }

    /** Starts {@code envoi serve --smtp 127.0.0.1:PORT} and waits for its SMTP line. */
    private static Process serve() throws Exception {
        Process p = start("serve", "--smtp", "127.0.0.1:" + PORT, "--imap", "127.0.0.1:" + IMAP_PORT);
        BuiltProduct.drain(BuiltProduct.lines(p.getErrorStream()), serverErr, "envoi-serve-err");
        BufferedReader out = BuiltProduct.lines(p.getInputStream());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (String line; System.nanoTime() < deadline && (line = out.readLine()) != null;) {
            serverOut.add(line);
            if (line.startsWith("SMTP relay on 127.0.0.1:" + PORT)) {
                BuiltProduct.drain(out, serverOut, "envoi-serve-out");
                return p;
            }
        }
        throw new AssertionError("envoi serve did not start: " + serverOut + serverErr);
    }

    private static Session session() {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(PORT));
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.connectiontimeout", "5000");
        p.put("mail.smtp.timeout", "30000");
        return Session.getInstance(p);
    }

    private static MimeMessage message(Session s, String from, String id) throws MessagingException {
        MimeMessage m = new MimeMessage(s) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", "<" + id + ">");
            }
        };
        m.setFrom(new InternetAddress(from));
        m.setRecipient(RecipientType.TO, new InternetAddress(MailServers.address("alice")));
        m.setSubject("Facture " + id);
        m.setText("Bonjour,\nla facture " + id + " suit.\n");
        m.saveChanges();
        return m;
    }

    private static String id(String what, int i) {
        return what + "-" + i + "." + RUN + "@erp.example";
    }

    /** How many of alice's delivered mails carry each Message-ID. */
    private static Map<String, Integer> deliveredIds() throws IOException {
        Map<String, Integer> count = new HashMap<>();
        for (Path f : peers.servers.deliveredFiles("alice")) {
            for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
                if (line.regionMatches(true, 0, "Message-ID: <", 0, 13)) {
                    count.merge(line.substring(13, line.indexOf('>')), 1, Integer::sum);
                    break;
                }
                if (line.isEmpty()) {
                    break;
                }
            }
        }
        return count;
    }

    private static void awaitDeliveredOnce(List<String> ids) throws Exception {
        awaitDelivered(ids, 120, 0);
    }

    /**
     * Every id arrives within {@code seconds}; at most {@code allowedTwice} of them twice (a kill between the
     * upstream's 250 and the SENT mark, README: such a mail goes again with its Message-ID).
     */
    private static void awaitDelivered(List<String> ids, int seconds, int allowedTwice) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<String, Integer> seen = deliveredIds();
        while (!seen.keySet().containsAll(ids) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            seen = deliveredIds();
        }
        Map<String, Integer> got = seen;
        List<String> missing = ids.stream().filter(i -> !got.containsKey(i)).toList();
        assertEquals(List.of(), missing, "mails that got a 250 and never arrived");
        peers.servers.awaitQueueEmpty(); // a second copy would be on its way
        Map<String, Integer> after = deliveredIds();
        List<String> twice = ids.stream().filter(i -> after.get(i) > 1).toList();
        assertTrue(twice.size() <= allowedTwice, "mails that arrived more than once: " + twice);
    }

    @Test
    @Order(1)
    void anAdministratorSetsUpTheFlowTheSignInAndTheRelayLoginFromTheScript() throws Exception {
        Run add = run("", "flow", "add", FLOW, "--provider", "custom", "--client-id", "envoi-e2e", "--auth-url",
                peers.oauth.authorizationEndpoint("mail").toString(), "--token-url", peers.oauth.tokenEndpoint("mail")
                        .toString(), "--scopes", "openid mail offline_access", "--smtp", "127.0.0.1:"
                                + peers.servers.smtpPort, "--smtp-security", "none", "--imap", "127.0.0.1:"
                                        + peers.servers.imapPort, "--imap-security", "none", "--consent", "print",
                "--username", OPERATOR); // Dovecot knows the token's subject, bob, as the user
        assertEquals(0, add.code(), add.err());
        assertEquals(0, run("", "operator", "add", OPERATOR, "--email", MailServers.address(OPERATOR), "--flow",
                FLOW).code());
        Process p = start("authorize", "--operator", OPERATOR, "--consent", "print");
        BufferedReader err = BuiltProduct.lines(p.getErrorStream());
        String url = null;
        for (String line; url == null && (line = err.readLine()) != null;) {
            url = line.startsWith("http") ? line : null;
        }
        URI redirected = new BrowserUser(OPERATOR).signIn(URI.create(url));
        try (OutputStream in = p.getOutputStream()) {
            in.write((redirected + "\n").getBytes(StandardCharsets.UTF_8));
        }
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "authorize");
        Run user = run(PASSWORD + "\n", "relay-user", "add", OPERATOR, "--password-stdin");
        assertEquals(0, user.code(), user.err());
    }

    @Test
    @Order(2)
    void serveStartsSaysWhereItListensAndItsStatusSaysItRuns() throws Exception {
        server = serve();
        assertTrue(serverOut.stream().anyMatch(l -> l.contains("TLS certificate SHA-256")), serverOut.toString());
        Run status = run("", "serve", "--status");
        assertEquals(0, status.code(), status.out() + status.err());
        assertTrue(status.out().contains("SMTP relay on 127.0.0.1:" + PORT), status.out());
        Run second = run("", "serve", "--smtp", "127.0.0.1:" + TestServers.freePort());
        assertEquals(4, second.code(), second.err());
        assertTrue(second.err().startsWith("INVALID_INPUT: An envoi serve already runs on "), second.err());
        Run remote = run("", "serve", "--smtp", "0.0.0.0:" + TestServers.freePort(), "--no-tls");
        assertEquals(4, remote.code(), remote.err());
    }

    @Test
    @Order(3)
    void twoHundredMailsFromAPasswordOnlyClientArriveOnceEach() throws Exception {
        Session s = session();
        List<String> ids = new ArrayList<>();
        try (Transport t = s.getTransport("smtp")) {
            t.connect(OPERATOR, PASSWORD);
            for (int i = 0; i < 200; i++) {
                String id = id("burst", i);
                MimeMessage m = message(s, MailServers.address(OPERATOR), id);
                t.sendMessage(m, m.getAllRecipients());
                ids.add(id);
            }
        }
        awaitDeliveredOnce(ids);
    }

    /** The same password reads bob's mailbox through the IMAP pass-through: Envoi logs in upstream with his token. */
    @Test
    @Order(3)
    void anImapClientReadsTheOperatorsMailboxWithTheSamePassword() throws Exception {
        Properties p = new Properties();
        p.put("mail.imap.host", "127.0.0.1");
        p.put("mail.imap.port", String.valueOf(IMAP_PORT));
        p.put("mail.imap.timeout", "30000");
        try (jakarta.mail.Store store = Session.getInstance(p).getStore("imap")) {
            store.connect(OPERATOR, PASSWORD);
            jakarta.mail.Folder inbox = store.getFolder("INBOX");
            inbox.open(jakarta.mail.Folder.READ_ONLY);
            assertEquals(peers.servers.delivered(OPERATOR), inbox.getMessageCount(), "bob's mails, read through Envoi");
            inbox.close(false);
        }
        AuthenticationFailedException wrong = assertThrows(AuthenticationFailedException.class, () -> {
            try (jakarta.mail.Store store = Session.getInstance(p).getStore("imap")) {
                store.connect(OPERATOR, "not-bobs-password");
            }
        });
        assertFalse(wrong.getMessage().contains("eyJ"), wrong.getMessage());
    }

    @Test
    @Order(4)
    void aWrongPasswordAnUnknownUserAndAForeignSenderAreRefused() throws Exception {
        Session s = session();
        MimeMessage m = message(s, MailServers.address(OPERATOR), id("refused", 0));
        AuthenticationFailedException wrong = assertThrows(AuthenticationFailedException.class, () -> Transport.send(
                m, OPERATOR, "not-bobs-password"));
        assertTrue(wrong.getMessage().startsWith("535"), wrong.getMessage());
        AuthenticationFailedException unknown = assertThrows(AuthenticationFailedException.class, () -> Transport
                .send(m, "mallory", PASSWORD));
        assertTrue(unknown.getMessage().startsWith("535"), unknown.getMessage());
        MimeMessage foreign = message(s, MailServers.address("alice"), id("foreign", 0));
        MessagingException e = assertThrows(MessagingException.class, () -> Transport.send(foreign, OPERATOR,
                PASSWORD));
        assertTrue(String.valueOf(e.getNextException()).contains("553") || e.getMessage().contains("553"),
                e + " / " + e.getNextException());
    }

    /**
     * The relay is killed (SIGKILL) in the middle of a burst of one connection per mail, then started again: every
     * mail that got a 250 arrives; the client sends again those that did not, and they arrive too; once each, but for
     * at most the one the killed server was handing to Postfix (accepted there, not yet marked SENT: it goes again,
     * its Message-ID the same, once its claim lapses).
     */
    @Test
    @Order(5)
    void aKillDuringABurstLosesNothingThatGotA250AndSendsNothingTwice() throws Exception {
        Session s = session();
        List<String> accepted = Collections.synchronizedList(new ArrayList<>());
        List<String> unanswered = Collections.synchronizedList(new ArrayList<>());
        Thread client = new Thread(() -> {
            for (int i = 0; i < 150; i++) {
                String id = id("killed", i);
                try {
                    MimeMessage m = message(s, MailServers.address(OPERATOR), id);
                    Transport.send(m, OPERATOR, PASSWORD);
                    accepted.add(id);
                } catch (MessagingException e) {
                    unanswered.add(id);
                }
            }
        }, "erp");
        client.start();
        while (accepted.size() < 40 && client.isAlive()) {
            Thread.sleep(5);
        }
        server.destroyForcibly(); // SIGKILL
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        client.join(120_000);
        assertFalse(unanswered.isEmpty(), "the kill cut the burst: " + accepted.size() + " accepted");
        server = serve();
        for (String id : new ArrayList<>(unanswered)) { // the ERP retries what it did not hear accepted
            Transport.send(message(s, MailServers.address(OPERATOR), id), OPERATOR, PASSWORD);
        }
        List<String> all = new ArrayList<>(accepted);
        all.addAll(unanswered);
        // the mail the killed server was sending goes again once its claim lapses (2 minutes, checked every 30 s)
        awaitDelivered(all, 240, 1);
    }

    /**
     * The flow's mail server is down: the ERP still gets its 250 (the mail is in the outbox), and the mail goes
     * once the server is back, with the sender's back-off (30 s at first), without anyone retrying it.
     */
    @Test
    @Order(6)
    void withTheUpstreamDownTheClientStillGets250AndTheMailGoesWhenItReturns() throws Exception {
        int port = TestServers.freePort(); // nothing listens there yet
        Run add = run(MailServers.CAROL_PASSWORD + "\n", "flow", "add", "relay-outage", "--provider", "custom",
                "--type", "basic", "--smtp", "127.0.0.1:" + port, "--smtp-security", "none", "--username", "carol",
                "--password-stdin");
        assertEquals(0, add.code(), add.err());
        assertEquals(0, run("", "operator", "add", "carol", "--email", MailServers.address("carol"), "--flow",
                "relay-outage").code());
        assertEquals(0, run("carols-relay-password\n", "relay-user", "add", "carol", "--password-stdin").code());
        Session s = session();
        String id = id("outage", 0);
        MimeMessage m = message(s, MailServers.address("carol"), id);
        Transport.send(m, "carol", "carols-relay-password"); // a 250, or this throws
        Run list = run("", "outbox", "list", "--json");
        assertTrue(list.out().contains(id), list.out());
        try (org.envoi.api.tests.servers.CuttingProxy up = org.envoi.api.tests.servers.CuttingProxy.relay(port,
                peers.servers.smtpPort)) {
            awaitDeliveredOnce(List.of(id));
        }
    }

    @Test
    @Order(7)
    void noTokenInTheLogsOrTheRepliesAndSigtermStopsCleanly() throws Exception {
        server.destroy(); // SIGTERM
        assertTrue(server.waitFor(90, TimeUnit.SECONDS), "envoi serve did not stop on SIGTERM");
        assertEquals(143, server.exitValue(), "the JVM's exit on SIGTERM, as systemd's unit expects");
        // its last line on standard error may be lost to the JDK's pipe reader as the process ends, and its last log
        // record to java.util.logging's own shutdown hook; the state file it writes last says it ran to its end
        Run status = run("", "serve", "--status");
        assertEquals(3, status.code(), status.out());
        assertTrue(status.out().startsWith("No envoi serve runs on ") && status.out().contains("the last one ran"),
                status.out());
        try (Stream<Path> logs = Files.list(data.resolve("logs"))) {
            for (Path log : logs.toList()) {
                String text = Files.readString(log, StandardCharsets.ISO_8859_1);
                // mock-oauth2-server's tokens are JWTs: base64url of '{"' starts every one of them
                assertFalse(text.contains("eyJ"), "a token in " + log);
                assertFalse(text.contains(PASSWORD), "the relay password in " + log);
            }
        }
        assertTrue(Files.readString(data.resolve("logs/serve.log")).contains("envoi serve started"));
        String said = String.join("\n", serverOut) + String.join("\n", serverErr);
        assertFalse(said.contains("eyJ") || said.contains(PASSWORD), said);
    }
}
