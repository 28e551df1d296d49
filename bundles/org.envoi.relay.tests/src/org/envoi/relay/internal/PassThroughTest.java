package org.envoi.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.relay.MailRelay.Listen;
import org.envoi.api.relay.MailRelay.Protocol;
import org.envoi.api.relay.RelayUsers;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.CuttingProxy;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;

/**
 * The IMAP and POP3 pass-through on the real services: Angus Mail is the ERP that knows only a local password; the
 * relay logs in to Dovecot with the operator's XOAUTH2 token from a real sign-in at mock-oauth2-server, over STARTTLS
 * (IMAP) and implicit TLS (POP3) trusting the test CA. Each upstream is reached through a counting TCP relay, so
 * that a refused local login is seen never to reach it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PassThroughTest {

    @TempDir
    static Path temp;
    private static MailPeers peers;
    private static BundleContext ctx;
    private static CuttingProxy imapUpstream;
    private static CuttingProxy popUpstream;
    private static MailRelay.Listener imap;
    private static MailRelay.Listener pop;
    private static OAuthClient client;
    private static final String FLOW = "pass-frank";
    private static final String CLIENT_ID = "envoi-pass-through";
    private static final String OPERATOR = "frank-relay";
    /** Attached to the flow, holds a relay password, but never signed in. */
    private static final String UNSIGNED = "gina-relay";
    /** Reads the same mailbox with a copy of the operator's sign-in whose access token the server refuses. */
    private static final String STALE = "hana-relay";
    private static final String PASSWORD = "relay-password-of-frank";
    private static final String MAILBOX = "frank";
    private static final List<String> SCOPES = List.of("openid", MailServers.MAIL_SCOPE, "offline_access");

    /** What Envoi's code logs during the class (FINE included for the relay): never a token. */
    private static final List<String> LOGGED = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private static final java.util.logging.Logger ENVOI = java.util.logging.Logger.getLogger("org.envoi");
    private static final java.util.logging.Logger RELAY = java.util.logging.Logger.getLogger("org.envoi.relay");
    private static final java.util.logging.Handler CAPTURE = new java.util.logging.Handler() {
        private final java.util.logging.SimpleFormatter format = new java.util.logging.SimpleFormatter();

        @Override
        public void publish(java.util.logging.LogRecord r) {
            LOGGED.add(format.format(r));
        }

        @Override
        public void flush() {
            // kept in memory
        }

        @Override
        public void close() {
            // kept in memory
        }
    };

    @BeforeAll
    static void start() throws Exception {
        CAPTURE.setLevel(java.util.logging.Level.ALL);
        ENVOI.addHandler(CAPTURE);
        RELAY.setLevel(java.util.logging.Level.FINE);
        peers = MailPeers.start(temp);
        imapUpstream = CuttingProxy.relay(0, peers.servers.imapPort);
        popUpstream = CuttingProxy.relay(0, peers.servers.pop3sPort);
        ctx = OsgiServices.context(PassThroughTest.class);
        Path ca = peers.servers.certificateAuthority();
        URI authorization = peers.oauth.authorizationEndpoint("mail");
        URI token = peers.oauth.tokenEndpoint("mail");
        Flow flow = new Flow(FLOW, "Pass-through test", FlowType.OAUTH2, "custom", new ProviderFields("", CLIENT_ID,
                "", SCOPES, ConsentHost.PRINT, false), Optional.of(authorization),
                Optional.of(token), Optional.empty(), Optional.of(MailServer.of("127.0.0.1", peers.servers.smtpPort,
                        TlsMode.NONE)), Optional.of(MailServer.of("127.0.0.1", imapUpstream.port(),
                                TlsMode.STARTTLS).trusting(ca)), Optional.of(MailServer.of("127.0.0.1",
                                        popUpstream.port(), TlsMode.TLS).trusting(ca)), "", Optional.empty(), 0,
                Optional.empty());
        OsgiServices.get(ctx, FlowAdmin.class, null).save(flow, Optional.of("the-client-secret"));
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        operators.save(new Operator(OPERATOR, "Frank", MailServers.address(MAILBOX), Optional.empty(), Optional.of(
                FLOW), "", ""));
        operators.save(new Operator(UNSIGNED, "Gina", MailServers.address("gina"), Optional.empty(), Optional.of(
                FLOW), "", ""));
        operators.save(new Operator(STALE, "Hana", MailServers.address(MAILBOX), Optional.empty(), Optional.of(FLOW),
                "", ""));
        RelayUsers users = OsgiServices.get(ctx, RelayUsers.class, null);
        users.set(STALE, PASSWORD.toCharArray());
        users.set(OPERATOR, PASSWORD.toCharArray());
        users.set(UNSIGNED, PASSWORD.toCharArray());
        // the operator signs in once, in a browser, as the mailbox's owner: the relay uses that sign-in from then on
        client = new OAuthClient(FLOW, "custom", authorization, token, Optional.empty(), CLIENT_ID, true, SCOPES,
                Optional.empty(), Map.of());
        OsgiServices.get(ctx, TokenService.class, null).authorize(client, OPERATOR, new BrowserConsent(
                new BrowserUser(MailServers.address(MAILBOX))), Duration.ofSeconds(30));
        MailRelay relay = OsgiServices.get(ctx, MailRelay.class, null);
        imap = relay.listen(new Listen(Protocol.IMAP, new InetSocketAddress("127.0.0.1", 0), false, true,
                Optional.empty(), Optional.empty()));
        pop = relay.listen(new Listen(Protocol.POP3, new InetSocketAddress("127.0.0.1", 0), false, true,
                Optional.empty(), Optional.empty()));
    }

    @AfterAll
    static void stop() {
        ENVOI.removeHandler(CAPTURE);
        RELAY.setLevel(null);
        for (AutoCloseable c : new AutoCloseable[] { imap, pop, imapUpstream, popUpstream, peers }) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the rest still closes
            }
        }
    }

    /** The consent of a user in a browser: signs in on the login page and brings back the redirect's query. */
    private record BrowserConsent(BrowserUser user) implements ConsentHandler {
        @Override
        public ConsentSession open(Optional<URI> requested) {
            return new ConsentSession() {
                @Override
                public URI redirectUri() {
                    return URI.create("http://127.0.0.1:9/callback");
                }

                @Override
                public AuthorizationResponse await(URI authorizationUrl, String expectedState, Duration timeout) {
                    Map<String, String> q = new HashMap<>();
                    for (String kv : user.signIn(authorizationUrl).getRawQuery().split("&")) {
                        String[] p = kv.split("=", 2);
                        q.put(p[0], java.net.URLDecoder.decode(p.length > 1 ? p[1] : "", StandardCharsets.UTF_8));
                    }
                    return new AuthorizationResponse(Optional.ofNullable(q.get("code")), q.get("state"), Optional
                            .ofNullable(q.get("error")), Optional.empty());
                }

                @Override
                public void close() {
                    // nothing held
                }
            };
        }
    }

    /** The client's whole conversation (what it sent and received), as Angus Mail's debug output shows it. */
    private static final class Transcript {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Session session(Properties p) {
            Session s = Session.getInstance(p);
            s.setDebug(true);
            s.setDebugOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            return s;
        }

        void assertNoToken() {
            String text = bytes.toString(StandardCharsets.UTF_8);
            String current = OsgiServices.get(ctx, TokenService.class, null).accessToken(client, OPERATOR);
            assertFalse(text.contains(current), "the operator's token reached the client");
            assertTrue(notLogged(current), "the operator's token was logged");
            assertFalse(text.contains("auth=Bearer"), "no SASL of the upstream: " + text);
            assertTrue(text.contains("Logged in") || text.contains("+OK"), "the transcript holds the session: " + text);
        }
    }

    private static boolean notLogged(String secret) {
        synchronized (LOGGED) {
            return LOGGED.stream().noneMatch(l -> l.contains(secret));
        }
    }

    private static Properties imapProperties(boolean starttls) {
        Properties p = new Properties();
        p.put("mail.imap.host", "127.0.0.1");
        p.put("mail.imap.port", String.valueOf(imap.address().getPort()));
        p.put("mail.imap.connectiontimeout", "10000");
        p.put("mail.imap.timeout", "30000");
        if (starttls) {
            p.put("mail.imap.starttls.enable", "true");
            p.put("mail.imap.starttls.required", "true");
            p.put("mail.imap.ssl.trust", "127.0.0.1");
        }
        return p;
    }

    private static Properties popProperties(boolean stls) {
        Properties p = new Properties();
        p.put("mail.pop3.host", "127.0.0.1");
        p.put("mail.pop3.port", String.valueOf(pop.address().getPort()));
        p.put("mail.pop3.connectiontimeout", "10000");
        p.put("mail.pop3.timeout", "30000");
        if (stls) {
            p.put("mail.pop3.starttls.enable", "true");
            p.put("mail.pop3.starttls.required", "true");
            p.put("mail.pop3.ssl.trust", "127.0.0.1");
        }
        return p;
    }

    /** Delivers a mail to the operator's mailbox as Postfix does, over Dovecot's LMTP (Dovecot writes it whole). */
    private static void deliver(String name, String subject) throws Exception {
        try (Socket s = new Socket("127.0.0.1", peers.servers.lmtpPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            lmtp(in, out, null, "220");
            lmtp(in, out, "LHLO relay.test", "250");
            lmtp(in, out, "MAIL FROM:<erp@" + MailServers.DOMAIN + ">", "250");
            lmtp(in, out, "RCPT TO:<" + MailServers.address(MAILBOX) + ">", "250");
            lmtp(in, out, "DATA", "354");
            lmtp(in, out, "From: erp@" + MailServers.DOMAIN + "\r\nTo: " + MailServers.address(MAILBOX)
                    + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + name + "." + System.nanoTime()
                    + "@envoi.test>\r\n\r\nBonjour " + name + "\r\n.", "250");
            lmtp(in, out, "QUIT", "221");
        }
    }

    private static void lmtp(BufferedReader in, OutputStream out, String command, String expected) throws Exception {
        if (command != null) {
            out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        assertTrue(line != null && line.startsWith(expected), command + " -> " + line);
    }

    private static Message find(Folder folder, String subject) throws Exception {
        for (Message m : folder.getMessages()) {
            if (subject.equals(m.getSubject())) {
                return m;
            }
        }
        throw new AssertionError("no message '" + subject + "' in " + folder.getFullName());
    }

    private static String text(Message m) throws Exception {
        try (java.io.InputStream in = m.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    /** List, fetch, flag, move and IDLE, each through the relay, by an ERP that logs in with AUTHENTICATE PLAIN. */
    @Test
    void anImapClientWorksOnTheOperatorsMailboxThroughTheRelay() throws Exception {
        deliver("pass-one", "pass one");
        Transcript transcript = new Transcript();
        Session s = transcript.session(imapProperties(false));
        long before = imap.accepted();
        try (IMAPStore store = (IMAPStore) s.getStore("imap")) {
            store.connect(OPERATOR, PASSWORD);
            assertTrue(store.hasCapability("IDLE") && store.hasCapability("MOVE"), "after the login the client sees"
                    + " the mailbox server's capabilities");
            Folder archive = store.getFolder("Archive");
            if (!archive.exists()) {
                assertTrue(archive.create(Folder.HOLDS_MESSAGES));
            }
            List<String> names = Arrays.stream(store.getDefaultFolder().list("*")).map(Folder::getFullName).toList();
            assertTrue(names.contains("INBOX") && names.contains("Archive"), names.toString());

            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.open(Folder.READ_WRITE);
            Message m = find(inbox, "pass one");
            assertEquals("Bonjour pass-one", text(m));
            m.setFlag(Flags.Flag.FLAGGED, true);
            inbox.moveMessages(new Message[] { m }, archive);
            archive.open(Folder.READ_ONLY);
            assertTrue(find(archive, "pass one").isSet(Flags.Flag.FLAGGED), "moved with its flag");
            archive.close(false);

            // IDLE: a mail that arrives while the client waits is announced to it through the relay
            CountDownLatch arrived = new CountDownLatch(1);
            inbox.addMessageCountListener(new MessageCountAdapter() {
                @Override
                public void messagesAdded(MessageCountEvent e) {
                    arrived.countDown();
                }
            });
            Thread idler = new Thread(() -> {
                try {
                    while (arrived.getCount() > 0 && inbox.isOpen()) {
                        inbox.idle(true);
                    }
                } catch (Exception e) {
                    // the folder closed
                }
            }, "idle");
            idler.start();
            // arriving before IDLE starts or during it, Dovecot announces it inside IDLE (it syncs at the start)
            deliver("pass-idle", "pass idle");
            assertTrue(arrived.await(30, TimeUnit.SECONDS), "IDLE saw the new mail");
            idler.join(10_000);
            inbox.close(false);
        }
        // Angus opens a connection of its own for each open folder: each is a session passed through
        assertTrue(imap.accepted() > before, "sessions passed through: " + imap.accepted());
        transcript.assertNoToken();
    }

    @Test
    void theImapLoginCommandAndStarttlsWork() throws Exception {
        Properties p = imapProperties(true);
        p.put("mail.imap.auth.plain.disable", "true"); // LOGIN, as older ERPs do
        Transcript transcript = new Transcript();
        try (Store store = transcript.session(p).getStore("imap")) {
            store.connect(OPERATOR, PASSWORD);
            assertTrue(store.getFolder("INBOX").exists());
        }
        String text = transcript.bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("STARTTLS") && text.contains(" LOGIN "), text);
        transcript.assertNoToken();
    }

    /** AUTHENTICATE PLAIN without an initial response, as a client does on a server without SASL-IR. */
    @Test
    void authenticatePlainWithoutAnInitialResponseLogsIn() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", imap.address().getPort())) {
            socket.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            assertTrue(in.readLine().startsWith("* OK"));
            out.write("a1 AUTHENTICATE PLAIN\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("+"));
            out.write((Base64.getEncoder().encodeToString(("\0" + OPERATOR + "\0" + PASSWORD).getBytes(
                    StandardCharsets.UTF_8)) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            String reply = lastLine(in, "a1 ");
            assertTrue(reply.startsWith("a1 OK"), reply);
            out.write("a2 SELECT INBOX\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(lastLine(in, "a2 ").startsWith("a2 OK"), "the session goes on at Dovecot");
        }
    }

    private static String lastLine(BufferedReader in, String tag) throws Exception {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith(tag)) {
                return line;
            }
        }
        throw new AssertionError("the connection closed before " + tag);
    }

    @Test
    void aWrongLocalPasswordIsRefusedAndNeverReachesTheMailboxServer() throws Exception {
        long imapConnections = imapUpstream.connections();
        long popConnections = popUpstream.connections();
        long refused = imap.refused();
        AuthenticationFailedException wrongImap = assertThrows(AuthenticationFailedException.class, () -> {
            try (Store store = Session.getInstance(imapProperties(false)).getStore("imap")) {
                store.connect(OPERATOR, "not-the-password");
            }
        });
        assertTrue(wrongImap.getMessage().contains("AUTHENTICATIONFAILED"), wrongImap.getMessage());
        AuthenticationFailedException wrongPop = assertThrows(AuthenticationFailedException.class, () -> {
            try (Store store = Session.getInstance(popProperties(false)).getStore("pop3")) {
                store.connect(OPERATOR, "not-the-password");
            }
        });
        assertFalse(wrongPop.getMessage().contains("not-the-password"), wrongPop.getMessage());
        // the relay would open the upstream before it answers; the answer came, and no connection was opened
        assertEquals(imapConnections, imapUpstream.connections(), "the IMAP server was contacted");
        assertEquals(popConnections, popUpstream.connections(), "the POP3 server was contacted");
        assertEquals(refused + 1, imap.refused());
        synchronized (LOGGED) { // the log capture works: the token checks on it can fail
            assertTrue(LOGGED.stream().anyMatch(l -> l.contains("IMAP login refused for user '" + OPERATOR + "'")),
                    LOGGED.toString());
        }
    }

    @Test
    void aPop3ClientReadsTheOperatorsMailboxThroughTheRelay() throws Exception {
        deliver("pass-pop", "pass pop");
        Transcript transcript = new Transcript();
        long before = pop.accepted();
        try (Store store = transcript.session(popProperties(true)).getStore("pop3")) {
            store.connect(OPERATOR, PASSWORD);
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            assertTrue(inbox.getMessageCount() >= 1);
            assertEquals("Bonjour pass-pop", text(find(inbox, "pass pop")));
            inbox.close(false);
        }
        String text = transcript.bytes.toString(StandardCharsets.UTF_8);
        // Angus hides its USER/PASS from its trace
        assertTrue(text.contains("STLS") && text.contains("STAT") && text.contains("RETR"), text);
        assertEquals(before + 1, pop.accepted());
        transcript.assertNoToken();
    }

    /**
     * The mailbox server refuses the token the vault holds as valid (revoked, say): the relay hands it back and logs in
     * with the fresh one, silently. The operator's sign-in is the signed-in one's, its access token swapped for one the
     * server refuses, under an operator the engine has not seen yet (it would use its own copy of the token).
     */
    @Test
    void aRefusedTokenIsRenewedOnce() throws Exception {
        TokenVault vault = OsgiServices.get(ctx, TokenVault.class, null);
        String signedIn = vault.read(VaultKey.tokens(FLOW, OPERATOR)).orElseThrow();
        String current = OsgiServices.get(ctx, TokenService.class, null).accessToken(client, OPERATOR);
        assertTrue(signedIn.contains(current));
        String stale = peers.oauth.clientCredentialsToken("mail", "alice-expired");
        vault.write(VaultKey.tokens(FLOW, STALE), signedIn.replace(current, stale));
        Transcript transcript = new Transcript();
        long connections = imapUpstream.connections();
        try (Store store = transcript.session(imapProperties(false)).getStore("imap")) {
            store.connect(STALE, PASSWORD);
            assertEquals(connections + 2, imapUpstream.connections(), "the refused token, then the renewed one on a"
                    + " connection of its own");
            assertTrue(store.getFolder("INBOX").exists());
        }
        assertFalse(vault.read(VaultKey.tokens(FLOW, STALE)).orElseThrow().contains(stale),
                "the refused token was replaced");
        assertFalse(transcript.bytes.toString(StandardCharsets.UTF_8).contains(stale.substring(0, 40)),
                "the refused token did not reach the client");
        assertTrue(notLogged(stale.substring(0, 40)), "the refused token was logged");
    }

    /** Closing a listener (serve stops) ends its sessions, both sides, and the port is let go. */
    @Test
    void closingTheListenerEndsItsSessions() throws Exception {
        MailRelay.Listener own = OsgiServices.get(ctx, MailRelay.class, null).listen(new Listen(Protocol.IMAP,
                new InetSocketAddress("127.0.0.1", 0), false, false, Optional.empty(), Optional.empty()));
        int port = own.address().getPort();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            String greeting = in.readLine();
            assertFalse(greeting.contains("STARTTLS"), "no TLS offered, none announced: " + greeting);
            socket.getOutputStream().write(("a1 LOGIN " + OPERATOR + " " + PASSWORD + "\r\n").getBytes(
                    StandardCharsets.UTF_8));
            assertTrue(lastLine(in, "a1 ").startsWith("a1 OK"));
            own.close();
            String after;
            try {
                after = in.readLine();
            } catch (java.net.SocketException reset) {
                after = null;
            }
            assertEquals(null, after, "the session ended with the listener");
        }
        // the port is free again: a relay started anew listens on it
        try (java.net.ServerSocket again = new java.net.ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }

    /** The flow's mailbox server is down: the client hears it, as a temporary failure, with the reason. */
    @Test
    void aMailboxServerThatIsDownIsAnsweredAsUnavailable() throws Exception {
        String down = "pass-down";
        String operator = "ivan-relay";
        int nothing = org.envoi.api.tests.servers.TestServers.freePort();
        Flow flow = new Flow(down, "Pass-through, server down", FlowType.OAUTH2, "custom", new ProviderFields("",
                CLIENT_ID, "", SCOPES, ConsentHost.PRINT, false), Optional.of(client.authorizationUri()), Optional.of(
                        client.tokenUri()), Optional.empty(), Optional.of(MailServer.of("127.0.0.1",
                                peers.servers.smtpPort, TlsMode.NONE)), Optional.of(MailServer.of("127.0.0.1",
                                nothing, TlsMode.NONE)), Optional.of(MailServer.of("127.0.0.1", nothing,
                                        TlsMode.NONE)), "", Optional.empty(), 0, Optional.empty());
        OsgiServices.get(ctx, FlowAdmin.class, null).save(flow, Optional.of("the-client-secret"));
        OsgiServices.get(ctx, OperatorRepository.class, null).save(new Operator(operator, "Ivan", MailServers
                .address(MAILBOX), Optional.empty(), Optional.of(down), "", ""));
        OsgiServices.get(ctx, RelayUsers.class, null).set(operator, PASSWORD.toCharArray());
        // the same sign-in (same client, same token endpoint): the login is there, the server is not
        TokenVault vault = OsgiServices.get(ctx, TokenVault.class, null);
        vault.write(VaultKey.tokens(down, operator), vault.read(VaultKey.tokens(FLOW, OPERATOR)).orElseThrow());
        jakarta.mail.MessagingException imapNo = assertThrows(jakarta.mail.MessagingException.class, () -> {
            try (Store store = Session.getInstance(imapProperties(false)).getStore("imap")) {
                store.connect(operator, PASSWORD);
            }
        });
        assertTrue(imapNo.getMessage().contains("[UNAVAILABLE] The mailbox server cannot be reached"),
                imapNo.getMessage());
        jakarta.mail.MessagingException popErr = assertThrows(jakarta.mail.MessagingException.class, () -> {
            try (Store store = Session.getInstance(popProperties(false)).getStore("pop3")) {
                store.connect(operator, PASSWORD);
            }
        });
        assertTrue(popErr.getMessage().contains("[SYS/TEMP] The mailbox server cannot be reached"),
                popErr.getMessage());
    }

    /** Off the loopback address a password is taken only after STARTTLS / STLS. */
    @Test
    void offTheLoopbackAddressNoPasswordIsTakenBeforeTls() throws Exception {
        MailRelay relay = OsgiServices.get(ctx, MailRelay.class, null);
        InetSocketAddress any = new InetSocketAddress("0.0.0.0", 0);
        try (MailRelay.Listener remoteImap = relay.listen(new Listen(Protocol.IMAP, any, true, true, Optional.empty(),
                Optional.empty())); MailRelay.Listener remotePop = relay.listen(new Listen(Protocol.POP3, any, true,
                        true, Optional.empty(), Optional.empty()));
                Socket i = new Socket("127.0.0.1", remoteImap.address().getPort());
                Socket p = new Socket("127.0.0.1", remotePop.address().getPort())) {
            i.setSoTimeout(10_000);
            p.setSoTimeout(10_000);
            BufferedReader imapIn = new BufferedReader(new InputStreamReader(i.getInputStream(),
                    StandardCharsets.UTF_8));
            String greeting = imapIn.readLine();
            assertTrue(greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED"), greeting);
            i.getOutputStream().write(("a1 LOGIN " + OPERATOR + " " + PASSWORD + "\r\n").getBytes(
                    StandardCharsets.UTF_8));
            String no = imapIn.readLine();
            assertTrue(no.startsWith("a1 NO [PRIVACYREQUIRED]"), no);
            BufferedReader popIn = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8));
            assertTrue(popIn.readLine().startsWith("+OK"));
            p.getOutputStream().write(("USER " + OPERATOR + "\r\n").getBytes(StandardCharsets.UTF_8));
            String err = popIn.readLine();
            assertTrue(err.startsWith("-ERR") && err.contains("STLS"), err);
        }
    }

    /** Without a sign-in there is no token to give: the mailbox server is not contacted. */
    @Test
    void anOperatorWithoutASignInIsToldConsentIsRequired() {
        long imapConnections = imapUpstream.connections();
        long popConnections = popUpstream.connections();
        AuthenticationFailedException imapNo = assertThrows(AuthenticationFailedException.class, () -> {
            try (Store store = Session.getInstance(imapProperties(false)).getStore("imap")) {
                store.connect(UNSIGNED, PASSWORD);
            }
        });
        assertTrue(imapNo.getMessage().contains("envoi authorize --operator " + UNSIGNED), imapNo.getMessage());
        AuthenticationFailedException popErr = assertThrows(AuthenticationFailedException.class, () -> {
            try (Store store = Session.getInstance(popProperties(false)).getStore("pop3")) {
                store.connect(UNSIGNED, PASSWORD);
            }
        });
        assertTrue(popErr.getMessage().contains("envoi authorize --operator " + UNSIGNED), popErr.getMessage());
        assertEquals(imapConnections, imapUpstream.connections(), "the IMAP server was contacted");
        assertEquals(popConnections, popUpstream.connections(), "the POP3 server was contacted");
    }
}
