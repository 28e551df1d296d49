package org.envoi.transport.graph.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.MailFetcher.AfterFetch;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.mail.SendReceipt;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.GraphServer;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.MailboxReader;
import org.envoi.api.transport.RetryLater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/**
 * The Graph transport and mailbox reader as the OSGi services they are, against Envoi's Graph contract server with
 * mock-oauth2-server's tokens and Dovecot behind it: what is sent is read back from the recipient's mailbox.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GraphTransportTest {

    private static final String G = MockOAuth2Server.GRAPH_AUDIENCE + "/";
    private static final String SCOPES = G + "Mail.Send " + G + "Mail.ReadWrite " + G + "Mail.Read";
    private static final int MB = 1024 * 1024;

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop(), see TestServers.deleteQuietly
    static Path temp;
    private static MailPeers peers;
    private static GraphServer graph;
    private static MailTransport transport;
    private static MailboxReader reader;

    @BeforeAll
    static void start() {
        BundleContext ctx = OsgiServices.context(GraphTransportTest.class);
        transport = OsgiServices.get(ctx, MailTransport.class, "(" + MailTransport.TRANSPORT_ID + "=graph)");
        reader = OsgiServices.get(ctx, MailboxReader.class, "(" + MailboxReader.MAILBOX_ID + "=graph)");
        peers = MailPeers.start(temp.resolve("peers"));
        graph = GraphServer.start(peers, "mail", temp.resolve("graph"));
        graph.grantSendAs("alice", MailServers.SHARED_MAILBOX);
    }

    @AfterAll
    static void stop() {
        if (graph != null) {
            graph.close();
        }
        if (peers != null) {
            peers.close();
        }
    }

    private static String addr(String user) {
        return user + "@" + MailServers.DOMAIN;
    }

    private static Flow flow(Optional<String> shared) {
        return new Flow("graph-test", "Graph test", FlowType.OAUTH2, "contract", new ProviderFields("t", "c", "",
                List.of(SCOPES.split(" ")), ConsentHost.LOOPBACK, false), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "", shared, 0,
                Optional.empty(), "graph", Map.of(GraphHttp.URL_KEY, graph.base() + "/v1.0"));
    }

    /** Tokens from mock-oauth2-server for one user; the first ones handed out can be set; refusals are counted. */
    private static final class CountingLogins implements Logins {
        final String user;
        final List<String> firstTokens = new ArrayList<>();
        final AtomicInteger rejected = new AtomicInteger();
        boolean alwaysFirst;
        String scopes = SCOPES;

        CountingLogins(String user) {
            this.user = user;
        }

        @Override
        public MailLogin current() {
            String token;
            if (!firstTokens.isEmpty()) {
                token = alwaysFirst ? firstTokens.get(0) : firstTokens.remove(0);
            } else {
                token = peers.oauth.clientCredentialsToken("mail", user, scopes);
            }
            return new MailLogin.Bearer(addr(user), token, MailLogin.Mechanism.XOAUTH2);
        }

        @Override
        public void rejected(MailLogin login) {
            rejected.incrementAndGet();
        }
    }

    private static MailRoute route(String user, Optional<String> shared, Logins logins) {
        return new MailRoute(flow(shared), user, shared.orElse(addr(user)), logins);
    }

    private static MailRoute route(String user) {
        return route(user, Optional.empty(), new CountingLogins(user));
    }

    private static OutgoingMail mail(String from, List<String> to, List<String> bcc, String subject,
            List<Attachment> files) {
        return new OutgoingMail(UUID.randomUUID() + "@envoi", from, to, List.of(), bcc, subject, "Bonjour,\nle BL.",
                false, OutgoingMail.Priority.NORMAL, Optional.empty(), files);
    }

    /** The one message of {@code user}'s inbox whose subject is given, read back over IMAP (CRLF line ends). */
    private static String delivered(String user, String subject) throws IOException {
        try (ImapPeek imap = ImapPeek.open(peers.servers.imapPort, user, peers.token(user))) {
            return imap.message(subject);
        }
    }

    private static String head(String message) {
        return message.substring(0, message.indexOf("\r\n\r\n"));
    }

    private static SendReceipt send(MailRoute route, OutgoingMail mail) {
        try (MailTransport.Connection c = transport.connect(route)) {
            return c.send(mail);
        }
    }

    @Test
    void serviceDescribesItsFieldScopesAndEndpointRule() {
        assertEquals("Microsoft Graph", transport.displayName());
        assertEquals(List.of("graph.url"), transport.fields().stream().map(f -> f.key()).toList());
        assertEquals("https://graph.microsoft.com/v1.0", transport.fields().get(0).defaultValue());
        assertEquals(List.of("https://graph.microsoft.com/Mail.Send", "https://graph.microsoft.com/Mail.ReadWrite",
                "https://graph.microsoft.com/Mail.Read", "offline_access"), transport.scopes("microsoft",
                        List.of("https://outlook.office.com/SMTP.Send"), false));
        assertEquals(List.of("https://graph.microsoft.com/.default"), transport.scopes("microsoft", List.of(), true));
        assertEquals(List.of("mail"), transport.scopes("contract", List.of("mail"), false));
        Flow f = flow(Optional.empty());
        assertEquals(List.of(), transport.validate(f));
        assertEquals(List.of(), transport.validate(f.withTransport("graph", Map.of())));
        for (String bad : new String[] { "http://graph.example.com/v1.0", "ftp://127.0.0.1/", "not a url" }) {
            List<FieldProblem> p = transport.validate(f.withTransport("graph", Map.of("graph.url", bad)));
            assertEquals(List.of("graph.url"), p.stream().map(FieldProblem::field).toList(), bad);
        }
        Flow clear = f.withTransport("graph", Map.of("graph.url", "http://graph.example.com/v1.0"));
        EnvoiException e = assertThrows(EnvoiException.class, () -> transport.connect(new MailRoute(clear, "alice",
                addr("alice"), new CountingLogins("alice"))));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code());
        assertEquals("graph.url", e.field());
        assertTrue(reader.forFlow(f));
        Flow withImap = new Flow(f.id(), f.name(), f.type(), f.providerId(), f.oauth(), f.authorizationUri(),
                f.tokenUri(), f.deviceUri(), f.smtp(), Optional.of(org.envoi.api.mail.MailServer.of("imap.example.com",
                        993, org.envoi.api.provider.TlsMode.TLS)), f.pop(), f.username(), f.genericAddress(),
                f.attachmentLimitBytes(), f.secretExpiry(), f.transport(), f.settings());
        assertTrue(reader.forFlow(withImap), "a Graph flow reads through Graph even if it names an IMAP server: its"
                + " token is Graph's");
        assertEquals("graph", reader.id());
    }

    @Test
    void probeIsOneAuthenticatedCallThatSendsNothing() throws IOException {
        long before = peers.servers.delivered("alice");
        try (MailTransport.Connection c = transport.connect(route("alice"))) {
            String answer = c.probe(addr("alice"));
            assertTrue(answer.startsWith("HTTP 200"), answer);
        }
        assertEquals(before, peers.servers.delivered("alice"));
        CountingLogins sendOnly = new CountingLogins("alice");
        sendOnly.scopes = G + "Mail.Send";
        MailRoute noRead = route("alice", Optional.empty(), sendOnly);
        try (MailTransport.Connection c = transport.connect(noRead)) {
            EnvoiException e = assertThrows(EnvoiException.class, () -> c.probe(addr("alice")));
            assertEquals(ErrorCode.MAIL_REJECTED, e.code());
            assertTrue(e.getMessage().contains("ErrorAccessDenied"), e.getMessage());
        }
    }

    @Test
    void smallMailGoesAsMimeThroughSendMailKeepingMessageIdAndBlindCopy() throws IOException {
        String subject = "Graph small " + UUID.randomUUID();
        OutgoingMail m = mail(addr("alice"), List.of(addr("bob")), List.of(addr("frank")), subject,
                List.of(new Attachment("BL 1.pdf", "application/pdf", "%PDF-1.7 small".getBytes())));
        long bob = peers.servers.delivered("bob");
        long frank = peers.servers.delivered("frank");
        SendReceipt r = send(route("alice"), m);
        assertTrue(r.reply().startsWith("HTTP 202") && r.reply().contains("sendMail"), r.reply());
        peers.awaitDelivered("bob", bob + 1);
        peers.awaitDelivered("frank", frank + 1);
        for (String user : new String[] { "bob", "frank" }) {
            String h = head(delivered(user, subject));
            assertTrue(h.contains("Message-ID: <" + m.messageId() + ">"), h);
            assertFalse(h.contains("Bcc:") || h.contains(addr("frank")), "no blind copy in the headers: " + h);
        }
        assertTrue(delivered("bob", subject).contains("filename=\"BL 1.pdf\""));
    }

    @Test
    void twentyMegabyteAttachmentGoesUpInAnUploadSessionAndArrivesWhole() throws IOException {
        String subject = "Graph large " + UUID.randomUUID();
        byte[] big = new byte[20 * MB + 17];
        new Random(20).nextBytes(big);
        byte[] small = "%PDF-1.7 small".getBytes();
        // two files under 3 MB: the first fits in the draft's JSON, the second goes in its own POST .../attachments
        byte[] twoA = new byte[2 * MB];
        byte[] twoB = new byte[2 * MB + 5];
        new Random(2).nextBytes(twoA);
        new Random(3).nextBytes(twoB);
        OutgoingMail m = mail(addr("alice"), List.of(addr("bob")), List.of(addr("frank")), subject,
                List.of(new Attachment("bl-20mb.pdf", "application/pdf", big),
                        new Attachment("cgv.pdf", "application/pdf", small),
                        new Attachment("annexe-a.pdf", "application/pdf", twoA),
                        new Attachment("annexe-b.pdf", "application/pdf", twoB)));
        long bob = peers.servers.delivered("bob");
        long frank = peers.servers.delivered("frank");
        SendReceipt r = send(route("alice"), m);
        assertTrue(r.reply().startsWith("HTTP 202") && r.reply().contains("1 uploaded"), r.reply());
        peers.awaitDelivered("bob", bob + 1);
        peers.awaitDelivered("frank", frank + 1);
        String text = delivered("bob", subject);
        String h = head(text);
        assertTrue(h.contains("Message-ID: <" + m.messageId() + ">"), "the queued Message-ID kept: " + h);
        assertFalse(h.contains("Bcc:") || h.contains(addr("frank")), "no blind copy in the headers: " + h);
        assertArrayEquals(big, part(text, "bl-20mb.pdf"), "the 20 MB file, byte for byte");
        assertArrayEquals(small, part(text, "cgv.pdf"));
        assertArrayEquals(twoA, part(text, "annexe-a.pdf"));
        assertArrayEquals(twoB, part(text, "annexe-b.pdf"));
        delivered("frank", subject);
    }

    private static byte[] part(String message, String fileName) {
        String p = message.substring(message.indexOf("filename=\"" + fileName + "\""));
        p = p.substring(p.indexOf("\r\n\r\n") + 4, p.indexOf("\r\n--"));
        return Base64.getMimeDecoder().decode(p);
    }

    @Test
    void sharedMailboxSendsWithSendAsAndIsRefusedWithout() throws IOException {
        Optional<String> shared = Optional.of(MailServers.SHARED_MAILBOX);
        String subject = "Graph shared " + UUID.randomUUID();
        long frank = peers.servers.delivered("frank");
        send(route("alice", shared, new CountingLogins("alice")), mail(MailServers.SHARED_MAILBOX,
                List.of(addr("frank")), List.of(), subject, List.of()));
        peers.awaitDelivered("frank", frank + 1);
        assertTrue(head(delivered("frank", subject)).contains("From: " + MailServers.SHARED_MAILBOX), subject);

        EnvoiException e = assertThrows(EnvoiException.class, () -> send(route("eve", shared,
                new CountingLogins("eve")), mail(MailServers.SHARED_MAILBOX, List.of(addr("frank")), List.of(),
                        "Graph shared refused", List.of())));
        assertEquals(ErrorCode.MAIL_REJECTED, e.code());
        assertTrue(e.getMessage().contains("ErrorSendAsDenied") && e.getMessage().contains("\"Send As\"")
                && e.getMessage().contains(MailServers.SHARED_MAILBOX), e.getMessage());
    }

    @Test
    void throttledSendIsRetryLaterAfterRetryAfter() {
        graph.throttleNext(1, 429, 7);
        RetryLater e = assertThrows(RetryLater.class, () -> send(route("alice"), mail(addr("alice"),
                List.of(addr("bob")), List.of(), "throttled", List.of())));
        assertEquals(Duration.ofSeconds(7), e.after());
        assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code());
        graph.throttleNext(1, 503, 3);
        assertEquals(Duration.ofSeconds(3), assertThrows(RetryLater.class, () -> send(route("alice"),
                mail(addr("alice"), List.of(addr("bob")), List.of(), "throttled", List.of()))).after());
    }

    @Test
    void expiredTokenIsRenewedOnceThenConsentIsRequired() throws IOException {
        String expired = peers.oauth.clientCredentialsToken("mail", "graph-expired", SCOPES);
        CountingLogins logins = new CountingLogins("alice");
        logins.firstTokens.add(expired);
        String subject = "Graph renewed " + UUID.randomUUID();
        long bob = peers.servers.delivered("bob");
        send(route("alice", Optional.empty(), logins), mail(addr("alice"), List.of(addr("bob")), List.of(), subject,
                List.of()));
        assertEquals(1, logins.rejected.get(), "the refused token handed back once");
        peers.awaitDelivered("bob", bob + 1);
        delivered("bob", subject);

        CountingLogins stale = new CountingLogins("alice");
        stale.firstTokens.add(expired);
        stale.alwaysFirst = true;
        EnvoiException e = assertThrows(EnvoiException.class, () -> send(route("alice", Optional.empty(), stale),
                mail(addr("alice"), List.of(addr("bob")), List.of(), "never", List.of())));
        assertEquals(ErrorCode.CONSENT_REQUIRED, e.code());
        assertTrue(e.getMessage().contains("sign in"), e.getMessage());
        assertEquals(1, stale.rejected.get(), "renewed once, not more");
    }

    /** Text marks kept in memory: what the store keeps across restarts. */
    private static final class Marks implements FetchMarks {
        final Map<String, String> text = new ConcurrentHashMap<>();

        @Override
        public Optional<String> textMark(String mailbox) {
            return Optional.ofNullable(text.get(mailbox));
        }

        @Override
        public void saveTextMark(String mailbox, String mark) {
            text.put(mailbox, mark);
        }

        @Override
        public ImapMark imapMark(String mailbox) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void saveImapMark(String mailbox, ImapMark mark) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Set<String> pop3Seen(String mailbox) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void addPop3Seen(String mailbox, Collection<String> uidls) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void deltaFetchesEachNewMailOnceAcrossRestartsAndKeepsNothingTwice() throws Exception {
        Marks marks = new Marks();
        Path spool = temp.resolve("spool");
        MailRoute eve = route("eve");
        reader.fetchNew(eve, "", marks, AfterFetch.NOTHING, mails -> { }, spool); // what eve had before
        List<String> subjects = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            subjects.add("Graph delta " + i + " " + UUID.randomUUID());
            send(route("alice"), mail(addr("alice"), List.of(addr("eve")), List.of(), subjects.get(i), List.of()));
        }
        List<String> kept = new ArrayList<>();
        // a keeper that fails records nothing: the same mails come again
        assertThrows(IllegalStateException.class, () -> new GraphMailboxReader().fetchNew(eve, "inbox", marks,
                AfterFetch.NOTHING, mails -> {
                    throw new IllegalStateException("disk full");
                }, spool));
        List<FetchedMail> first = new GraphMailboxReader().fetchNew(eve, "inbox", marks, AfterFetch.NOTHING,
                mails -> {
                    for (FetchedMail f : mails) {
                        kept.add(f.subject());
                        assertTrue(new String(f.raw(), StandardCharsets.ISO_8859_1).contains("Subject: "
                                + f.subject()), f.toString());
                    }
                    try (var files = Files.list(spool)) {
                        files.forEach(p -> {
                            try {
                                assertEquals("rw-------", PosixFilePermissions.toString(
                                        Files.getPosixFilePermissions(p)), p.toString());
                            } catch (IOException e) {
                                throw new IllegalStateException(e);
                            }
                        });
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, spool);
        assertEquals(subjects, kept);
        assertEquals(subjects, first.stream().map(FetchedMail::subject).toList());
        assertTrue(first.get(0).messageId().endsWith("@envoi"), first.get(0).toString());
        try (var left = Files.list(spool)) {
            assertEquals(0, left.count(), "spool files removed when fetchNew returns");
        }

        String third = "Graph delta 2 " + UUID.randomUUID();
        send(route("alice"), mail(addr("alice"), List.of(addr("eve")), List.of(), third, List.of()));
        List<FetchedMail> again = new GraphMailboxReader().fetchNew(eve, "inbox", marks, AfterFetch.NOTHING,
                mails -> { }, spool);
        assertEquals(List.of(third), again.stream().map(FetchedMail::subject).toList(), "only the new mail");
        assertEquals(List.of(), reader.fetchNew(eve, "inbox", marks, AfterFetch.NOTHING, mails -> { }, spool));

        EnvoiException e = assertThrows(EnvoiException.class, () -> reader.fetchNew(eve, "inbox", marks,
                new AfterFetch(true, Optional.empty()), mails -> { }, spool));
        assertEquals(ErrorCode.INVALID_INPUT, e.code());
        assertTrue(reader.probe(eve) >= 3);
        assertTrue(URI.create(marks.text.values().iterator().next()).getHost().equals("127.0.0.1"));
    }
}
