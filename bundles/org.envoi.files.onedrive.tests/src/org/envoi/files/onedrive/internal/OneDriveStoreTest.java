package org.envoi.files.onedrive.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.files.FileStore;
import org.envoi.api.files.FileStore.LinkScope;
import org.envoi.api.files.FileStore.StoredFile;
import org.envoi.api.files.FileStore.Target;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.GraphServer;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.RetryLater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The OneDrive store as the pipeline gets it (the OSGi service {@code (filestore.id=onedrive)}), against Envoi's Graph
 * contract server ({@link GraphServer}) with real mock-oauth2-server tokens: uploads read back whole through their
 * sharing links, a cut mid-fragment resumed, link scopes and expiry, token renewal, throttling, bad settings.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OneDriveStoreTest {

    static final String G = MockOAuth2Server.GRAPH_AUDIENCE + "/";
    static final int MB = 1024 * 1024;

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop(), see TestServers.deleteQuietly
    static Path temp;
    static MockOAuth2Server oauth;
    static GraphServer graph;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private FileStore store;
    private ServiceReference<FileStore> reference;

    @BeforeAll
    static void start() {
        oauth = MockOAuth2Server.start(MockOAuth2Server.MAIL_USERS);
        graph = GraphServer.startFiles(oauth, "mail", temp.resolve("graph"));
    }

    @AfterAll
    static void stop() {
        if (graph != null) {
            graph.close();
        }
        if (oauth != null) {
            oauth.close();
        }
    }

    @BeforeEach
    void lookUp() {
        BundleContext ctx = OsgiServices.context(getClass());
        reference = OsgiServices.await(ctx, FileStore.class, "(" + FileStore.STORE_ID + "=onedrive)");
        store = ctx.getService(reference);
        assertNotNull(store);
    }

    static String token(String clientId, String scopes) {
        return oauth.clientCredentialsToken("mail", clientId, scopes);
    }

    /** A custom-provider flow at the contract server, with these settings over the defaults. */
    static Flow flow(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("graph.url", graph.base() + "/v1.0"));
        all.putAll(settings);
        return new Flow("onedrive-test", "OneDrive test", FlowType.OAUTH2, "custom", new ProviderFields("", "alice",
                "", List.of(G + "Files.ReadWrite"), ConsentHost.PRINT, false),
                Optional.of(oauth.authorizationEndpoint("mail")), Optional.of(oauth.tokenEndpoint("mail")),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "alice", Optional.empty(), 0,
                Optional.empty(), "graph", all);
    }

    /** The pipeline's side: hands out tokens in turn, and counts the ones the store gave back as refused. */
    static final class TurnLogins implements Logins {
        final Deque<String> tokens = new ArrayDeque<>();
        int rejected;

        TurnLogins(String... tokens) {
            this.tokens.addAll(List.of(tokens));
        }

        @Override
        public MailLogin current() {
            return new MailLogin.Bearer("alice", tokens.peek(), MailLogin.Mechanism.XOAUTH2);
        }

        @Override
        public void rejected(MailLogin login) {
            rejected++;
            tokens.pop();
        }
    }

    static TurnLogins alice() {
        return new TurnLogins(token("alice", G + "Files.ReadWrite"));
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static HttpResponse<byte[]> get(URI link, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(link).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void isRegisteredByDeclarativeServicesWithItsFields() {
        assertEquals("org.envoi.files.onedrive", reference.getBundle().getSymbolicName());
        assertNotNull(reference.getProperty("component.name"), "registered by Declarative Services (SCR)");
        assertEquals("onedrive", store.id());
        assertEquals("OneDrive / SharePoint", store.displayName());
        assertEquals(List.of("graph.url", "files.folder", "files.linkScope", "files.linkExpiryDays"),
                store.fields().stream().map(FieldDescription::key).toList());
        FieldDescription scope = store.fields().get(2);
        assertEquals(FieldDescription.Kind.CHOICE, scope.kind());
        assertEquals(List.of("organization", "anonymous"), scope.choices());
        assertEquals("https://graph.microsoft.com/v1.0", store.fields().get(0).defaultValue());
        assertEquals("Envoi", store.fields().get(1).defaultValue());
        assertEquals("graph", store.resource());
    }

    @Test
    void scopesAreGraphFilesForMicrosoftAndTheFlowsOtherwise() {
        Flow custom = flow(Map.of());
        assertEquals(List.of(G + "Files.ReadWrite"), store.scopes(custom));
        Flow microsoft = new Flow("ms", "ms", FlowType.OAUTH2, "microsoft", new ProviderFields("contoso.com",
                "11111111-2222-3333-4444-555555555555", "", List.of("https://outlook.office.com/SMTP.Send",
                        "offline_access"), ConsentHost.PRINT, false), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "", Optional.empty(), 0,
                Optional.empty(), "smtp", Map.of());
        assertEquals(List.of("https://graph.microsoft.com/Files.ReadWrite", "offline_access"), store.scopes(microsoft));
    }

    @Test
    void storesFiveMegabytesAndTheLinksReadThemBackWhole() throws Exception {
        byte[] file = random(5 * MB, 1);
        Flow flow = flow(Map.of("files.linkScope", "anonymous", "files.folder", "Envoi/Factures"));
        Target target = new Target(flow, "alice", alice(), "", "facture 4711.pdf");
        StoredFile stored = store.store(target, new ByteArrayInputStream(file), file.length);
        assertEquals("facture 4711.pdf", stored.name());
        assertEquals(file.length, stored.size());
        assertNotNull(stored.id());

        URI anonymous = store.link(target, stored, LinkScope.ANONYMOUS, Optional.empty());
        assertEquals("anonymous", graph.linkScope(anonymous));
        HttpResponse<byte[]> read = get(anonymous, null);
        assertEquals(200, read.statusCode());
        assertArrayEquals(file, read.body());

        URI organization = store.link(target, stored, LinkScope.ORGANIZATION, Optional.empty());
        assertEquals("organization", graph.linkScope(organization));
        assertEquals(401, get(organization, null).statusCode(), "an organization link needs a signed-in user");
        HttpResponse<byte[]> signedIn = get(organization, token("bob", G + "Files.ReadWrite"));
        assertEquals(200, signedIn.statusCode());
        assertArrayEquals(file, signedIn.body());
    }

    @Test
    void anAnonymousLinkOnlyWhereTheFlowAllowsIt() {
        byte[] file = random(1000, 2);
        Flow organizationOnly = flow(Map.of()); // files.linkScope defaults to organization
        Target target = new Target(organizationOnly, "alice", alice(), "", "bl.pdf");
        StoredFile stored = store.store(target, new ByteArrayInputStream(file), file.length);
        URI link = store.link(target, stored, LinkScope.ANONYMOUS, Optional.empty());
        assertEquals("organization", graph.linkScope(link), "the flow's files.linkScope narrows what a caller asks");
    }

    @Test
    void aLinkExpiresWhenTheCallerOrTheFlowSays() {
        byte[] file = random(1000, 3);
        Target target = new Target(flow(Map.of("files.linkExpiryDays", "7")), "alice", alice(), "", "devis.pdf");
        StoredFile stored = store.store(target, new ByteArrayInputStream(file), file.length);
        Instant week = Instant.now().plus(7, ChronoUnit.DAYS);
        Instant expiry = graph.linkExpiry(store.link(target, stored, LinkScope.ORGANIZATION, Optional.empty()));
        assertNotNull(expiry);
        assertTrue(Math.abs(Duration.between(week, expiry).toMinutes()) < 5, expiry + " is in 7 days");
        Instant tomorrow = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        assertEquals(tomorrow, graph.linkExpiry(store.link(target, stored, LinkScope.ORGANIZATION,
                Optional.of(tomorrow))), "the earlier of the caller's and the flow's");
        Target never = new Target(flow(Map.of()), "alice", alice(), "", "devis.pdf");
        assertNull(graph.linkExpiry(store.link(never, stored, LinkScope.ORGANIZATION, Optional.empty())));
    }

    @Test
    void aCutMidFragmentResumesAndTheFileIsByteIdentical() throws Exception {
        // 25 MB: fragments of 10 MiB at 0 and 10 MiB, then the rest; the second is cut after 3 MB of it
        byte[] file = random(25 * MB, 4);
        graph.cutFragmentAt(10L * MB, 3L * MB);
        int cuts = graph.cuts();
        Target target = new Target(flow(Map.of("files.linkScope", "anonymous")), "alice", alice(), "", "plan.dwg");
        StoredFile stored = store.store(target, new ByteArrayInputStream(file), file.length);
        assertEquals(cuts + 1, graph.cuts(), "the server cut one fragment");
        HttpResponse<byte[]> read = get(store.link(target, stored, LinkScope.ANONYMOUS, Optional.empty()), null);
        assertEquals(200, read.statusCode());
        assertEquals(file.length, read.body().length);
        assertArrayEquals(file, read.body());
    }

    @Test
    void aNameAlreadyTakenGetsAnotherAndTheFirstFileStays() throws Exception {
        byte[] first = random(2000, 5);
        byte[] second = random(3000, 6);
        Target target = new Target(flow(Map.of("files.linkScope", "anonymous", "files.folder", "Envoi/Twice")),
                "alice", alice(), "", "rapport.pdf");
        StoredFile a = store.store(target, new ByteArrayInputStream(first), first.length);
        StoredFile b = store.store(target, new ByteArrayInputStream(second), second.length);
        assertNotEquals(a.id(), b.id());
        assertEquals("rapport 1.pdf", b.name());
        assertArrayEquals(first, get(store.link(target, a, LinkScope.ANONYMOUS, Optional.empty()), null).body(),
                "the link sent with the first document still gives the first document");
        assertArrayEquals(second, get(store.link(target, b, LinkScope.ANONYMOUS, Optional.empty()), null).body());
    }

    @Test
    void anExpiredTokenIsHandedBackAndTheFreshOneUsedOnce() {
        byte[] file = random(1000, 7);
        TurnLogins logins = new TurnLogins(token("graph-expired", G + "Files.ReadWrite"),
                token("alice", G + "Files.ReadWrite"));
        Target target = new Target(flow(Map.of()), "alice", logins, "", "renewed.pdf");
        StoredFile stored = store.store(target, new ByteArrayInputStream(file), file.length);
        assertEquals(1, logins.rejected, "refused once, refreshed once");
        assertEquals(file.length, stored.size());
        TurnLogins twice = new TurnLogins(token("graph-expired", G + "Files.ReadWrite"),
                token("graph-expired", G + "Files.ReadWrite"));
        EnvoiException e = assertThrows(EnvoiException.class, () -> store.store(new Target(flow(Map.of()), "alice",
                twice, "", "refused.pdf"), new ByteArrayInputStream(file), file.length));
        assertEquals(ErrorCode.MAIL_AUTH_FAILED, e.code());
        assertEquals(1, twice.rejected);
        assertTrue(e.getMessage().contains("InvalidAuthenticationToken"), e.getMessage());
    }

    @Test
    void throttlingIsRetryLaterAtTheServersTime() {
        byte[] file = random(1000, 8);
        Target target = new Target(flow(Map.of()), "alice", alice(), "", "throttled.pdf");
        graph.throttleNext(1, 429, 7);
        RetryLater e = assertThrows(RetryLater.class, () -> store.store(target, new ByteArrayInputStream(file),
                file.length));
        assertEquals(Duration.ofSeconds(7), e.after());
        assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code());
        graph.throttleNext(1, 503, 30);
        assertEquals(Duration.ofSeconds(30), assertThrows(RetryLater.class, () -> store.store(target,
                new ByteArrayInputStream(file), file.length)).after());
    }

    @Test
    void aThrottledFragmentWaitsAShortRetryAfterThenGoesOnAndALongOneIsRetryLater() throws Exception {
        byte[] file = random(12 * MB, 10); // fragments at 0 and 10 MiB
        Target target = new Target(flow(Map.of("files.linkScope", "anonymous")), "alice", alice(), "", "busy.pdf");
        graph.throttleFragmentAt(10L * MB, 503, 1);
        long t0 = System.nanoTime();
        StoredFile stored = store.store(target, new ByteArrayInputStream(file), file.length);
        assertTrue(System.nanoTime() - t0 >= TimeUnit.SECONDS.toNanos(1), "waited the Retry-After of the fragment");
        assertArrayEquals(file, get(store.link(target, stored, LinkScope.ANONYMOUS, Optional.empty()), null).body(),
                "the upload went on where it was");
        // two minutes is the outbox's to wait, not the sender's
        graph.throttleFragmentAt(0, 429, 120);
        RetryLater e = assertThrows(RetryLater.class, () -> store.store(target, new ByteArrayInputStream(file),
                file.length));
        assertEquals(Duration.ofSeconds(120), e.after());
    }

    @Test
    void aMissingPermissionIsRejectedNamingGraphsCodeAndWhatToDo() {
        byte[] file = random(1000, 9);
        Target target = new Target(flow(Map.of()), "alice", new TurnLogins(token("alice", G + "Mail.Send")), "",
                "denied.pdf");
        EnvoiException e = assertThrows(EnvoiException.class, () -> store.store(target,
                new ByteArrayInputStream(file), file.length));
        assertEquals(ErrorCode.MAIL_REJECTED, e.code());
        assertTrue(e.getMessage().contains("ErrorAccessDenied") && e.getMessage().contains("Files.ReadWrite"),
                e.getMessage());
    }

    @Test
    void badSettingsAreNamed() {
        assertEquals(List.of(), store.validate(flow(Map.of())));
        assertEquals(List.of(), store.validate(flow(Map.of("graph.url", "https://graph.microsoft.com/v1.0",
                "files.folder", "Envoi/Envois 2026", "files.linkScope", "anonymous", "files.linkExpiryDays", "30"))));
        List<FieldProblem> problems = store.validate(flow(Map.of("graph.url", "http://graph.example.com/v1.0",
                "files.folder", "Envoi/<clients>", "files.linkScope", "everyone", "files.linkExpiryDays", "-3")));
        assertEquals(List.of("graph.url", "files.folder", "files.linkScope", "files.linkExpiryDays"),
                problems.stream().map(FieldProblem::field).toList());
        assertTrue(problems.get(2).message().contains("organization") && problems.get(2).message().contains(
                "anonymous"), problems.get(2).message());
        assertEquals(List.of("files.folder", "files.linkExpiryDays"), store.validate(flow(Map.of(
                "files.linkExpiryDays", "soon", "files.folder", "../up"))).stream().map(FieldProblem::field)
                .sorted().toList());
    }
}
