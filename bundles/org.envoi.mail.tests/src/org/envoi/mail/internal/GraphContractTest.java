package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.GraphServer;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoi's Microsoft Graph / OneDrive contract server ({@link GraphServer}) driven with raw HTTP: each documented rule
 * accepted and refused, with real mock-oauth2-server tokens and real Dovecot behind it (a sent message is read back
 * over IMAP).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GraphContractTest {

    private static final String G = MockOAuth2Server.GRAPH_AUDIENCE + "/";
    private static final String ALL = G + "Mail.Send " + G + "Mail.ReadWrite " + G + "Files.ReadWrite";
    private static final int MB = 1024 * 1024;

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop(), see TestServers.deleteQuietly
    static Path temp;
    private static MailPeers peers;
    private static GraphServer graph;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        SaslRegistration.ensureInstalled();
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

    private static String token(String user, String scopes) {
        return peers.oauth.clientCredentialsToken("mail", user, scopes);
    }

    private static HttpResponse<String> call(String method, String path, String token, String type, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : graph.base() + path))
                .timeout(Duration.ofSeconds(60)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (type != null) {
            b.header("Content-Type", type);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> put(String url, long start, byte[] chunk, long total, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Range", "bytes " + start + "-" + (start + chunk.length - 1) + "/" + total)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(chunk));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] mime(String from, String to, String subject) {
        return ("From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + UUID.randomUUID()
                + "@envoi.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nBonjour\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] b64(byte[] mime) {
        return Base64.getEncoder().encode(mime);
    }

    private static String member(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), name + " in " + json);
        return m.group(1);
    }

    private static void assertError(HttpResponse<String> r, int status, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"code\":\"" + code + "\""), r.body());
    }

    private static String addr(String user) {
        return user + "@" + MailServers.DOMAIN;
    }

    @Test
    void bearerTokenSignatureExpiryAudienceAndScopeAreChecked() throws Exception {
        byte[] body = b64(mime(addr("alice"), addr("bob"), "auth"));
        String good = token("alice", G + "Mail.Send");
        assertError(call("POST", "/v1.0/me/sendMail", null, "text/plain", body), 401, "InvalidAuthenticationToken");
        // another token's signature on this token's claims
        String other = token("bob", G + "Mail.Send");
        String forged = good.substring(0, good.lastIndexOf('.')) + other.substring(other.lastIndexOf('.'));
        assertError(call("POST", "/v1.0/me/sendMail", forged, "text/plain", body), 401, "InvalidAuthenticationToken");
        assertError(call("POST", "/v1.0/me/sendMail", token("graph-expired", G + "Mail.Send"), "text/plain", body),
                401, "InvalidAuthenticationToken");
        // the mail servers' audience, though it carries the scope Mail.Send
        assertError(call("POST", "/v1.0/me/sendMail", token("alice", "Mail.Send"), "text/plain", body), 401,
                "InvalidAuthenticationToken");
        assertError(call("POST", "/v1.0/me/sendMail", token("alice", G + "Mail.Read"), "text/plain", body), 403,
                "ErrorAccessDenied");
        assertEquals(202, call("POST", "/v1.0/me/sendMail", good, "text/plain", body).statusCode());
    }

    @Test
    void sendMailDeliversMimeReadBackOverImapAndRefusesWhatGraphRefuses() throws Exception {
        String alice = token("alice", G + "Mail.Send");
        String subject = "Graph BL " + UUID.randomUUID();
        long before = peers.servers.delivered("frank");
        HttpResponse<String> r = call("POST", "/v1.0/me/sendMail", alice, "text/plain",
                b64(mime(addr("alice"), addr("frank"), subject)));
        assertEquals(202, r.statusCode(), r.body());
        assertEquals("", r.body());
        peers.awaitDelivered("frank", before + 1);
        List<FetchedMail> read = ImapReader.fetchNew(MailServer.of("127.0.0.1", peers.servers.imapPort, TlsMode.NONE)
                .withTimeout(Duration.ofSeconds(15)), new MailLogin.Bearer("frank", peers.token("frank"),
                        MailLogin.Mechanism.XOAUTH2), "INBOX", ImapMark.NONE).result();
        assertTrue(read.stream().anyMatch(m -> subject.equals(m.subject())), "read back over IMAP: " + subject);

        assertError(call("POST", "/v1.0/me/sendMail", alice, "text/plain", "not base64 !".getBytes()), 400,
                "ErrorMimeContentInvalidBase64String");
        byte[] big = new byte[4 * MB + 1];
        java.util.Arrays.fill(big, (byte) 'A');
        assertError(call("POST", "/v1.0/me/sendMail", alice, "text/plain", big), 413, "RequestEntityTooLarge");

        // the shared mailbox: alice holds Send As, eve does not
        String shared = "/v1.0/users/" + MailServers.SHARED_MAILBOX + "/sendMail";
        assertEquals(202, call("POST", shared, alice, "text/plain",
                b64(mime(MailServers.SHARED_MAILBOX, addr("frank"), "shared"))).statusCode());
        assertError(call("POST", shared, token("eve", G + "Mail.Send"), "text/plain",
                b64(mime(MailServers.SHARED_MAILBOX, addr("frank"), "shared"))), 403, "ErrorSendAsDenied");
        assertError(call("POST", "/v1.0/me/sendMail", token("eve", G + "Mail.Send"), "text/plain",
                b64(mime(MailServers.SHARED_MAILBOX, addr("frank"), "shared"))), 403, "ErrorSendAsDenied");
    }

    @Test
    void draftWithLargeAttachmentUploadedInOrderedChunksIsSentAndDelivered() throws Exception {
        String t = token("alice", ALL);
        String subject = "Graph draft " + UUID.randomUUID();
        HttpResponse<String> d = call("POST", "/v1.0/me/messages", t, "text/plain",
                b64(mime(addr("alice"), addr("carol"), subject)));
        assertEquals(201, d.statusCode(), d.body());
        String id = member(d.body(), "id");
        int size = 9 * MB + 123;
        byte[] file = new byte[size];
        new java.util.Random(17).nextBytes(file);
        assertError(call("POST", "/v1.0/me/messages/" + id + "/attachments/createUploadSession", token("alice", G
                + "Mail.Read"), "application/json", "{}".getBytes()), 403, "ErrorAccessDenied");
        // files up to 150 MB
        String session = "/v1.0/me/messages/" + id + "/attachments/createUploadSession";
        String item = "{\"AttachmentItem\":{\"attachmentType\":\"file\",\"name\":\"big.pdf\",\"size\":";
        assertError(call("POST", session, t, "application/json", (item + (150 * MB + 1) + "}}").getBytes()), 400,
                "ErrorInvalidRequest");
        assertEquals(201, call("POST", session, t, "application/json", (item + 150 * MB + "}}").getBytes())
                .statusCode());
        HttpResponse<String> s = call("POST", "/v1.0/me/messages/" + id + "/attachments/createUploadSession", t,
                "application/json", ("{\"AttachmentItem\":{\"attachmentType\":\"file\",\"name\":\"bl-4711.pdf\","
                        + "\"size\":" + size + "}}").getBytes());
        assertEquals(201, s.statusCode(), s.body());
        String url = member(s.body(), "uploadUrl");
        assertTrue(url.startsWith(graph.base()), url);
        byte[] c1 = java.util.Arrays.copyOfRange(file, 0, 4 * MB);
        assertError(put(url, 0, c1, size, "Bearer " + t), 401, "InvalidAuthenticationToken");
        assertError(put(url, 0, java.util.Arrays.copyOfRange(file, 0, 4 * MB + 1), size, null), 413,
                "ErrorRequestEntityTooLarge");
        assertError(put(url, 4 * MB, java.util.Arrays.copyOfRange(file, 4 * MB, 8 * MB), size, null), 416,
                "invalidRange");
        HttpResponse<String> p1 = put(url, 0, c1, size, null);
        assertEquals(200, p1.statusCode(), p1.body());
        assertTrue(p1.body().contains("\"nextExpectedRanges\":[\"" + 4 * MB + "\"]"), p1.body());
        assertEquals(200, put(url, 4 * MB, java.util.Arrays.copyOfRange(file, 4 * MB, 8 * MB), size, null)
                .statusCode());
        HttpResponse<String> last = put(url, 8 * MB, java.util.Arrays.copyOfRange(file, 8 * MB, size), size, null);
        assertEquals(201, last.statusCode(), last.body());
        assertTrue(last.headers().firstValue("Location").isPresent());

        long before = peers.servers.delivered("carol");
        assertError(call("POST", "/v1.0/me/messages/" + id + "/send", token("alice", G + "Mail.ReadWrite"), null,
                null), 403, "ErrorAccessDenied");
        assertEquals(202, call("POST", "/v1.0/me/messages/" + id + "/send", t, null, null).statusCode());
        peers.awaitDelivered("carol", before + 1);
        String delivered = null;
        for (Path p : peers.servers.deliveredFiles("carol")) {
            // Dovecot stores LF line ends in Maildir
            String text = Files.readString(p, StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
            if (text.contains(subject)) {
                delivered = text;
            }
        }
        assertTrue(delivered != null && delivered.contains("filename=\"bl-4711.pdf\""), "attachment delivered");
        String part = delivered.substring(delivered.indexOf("filename=\"bl-4711.pdf\""));
        part = part.substring(part.indexOf("\n\n") + 2, part.indexOf("\n--"));
        assertArrayEquals(file, Base64.getMimeDecoder().decode(part), "the attachment's bytes, as uploaded");
    }

    @Test
    void deltaPagesWithNextLinkThenDeltaLinkAndMimeValue() throws Exception {
        String t = token("bob", ALL + " " + G + "Mail.Read");
        for (int i = 0; i < 3; i++) {
            assertEquals(201, call("POST", "/v1.0/me/messages", t, "application/json", ("{\"subject\":\"draft " + i
                    + "\",\"body\":{\"contentType\":\"text\",\"content\":\"x\"},\"toRecipients\":[{\"emailAddress\":"
                    + "{\"address\":\"frank@example.test\"}}]}").getBytes()).statusCode());
        }
        HttpRequest.Builder first = HttpRequest.newBuilder(URI.create(graph.base()
                + "/v1.0/me/mailFolders/drafts/messages/delta")).header("Authorization", "Bearer " + t)
                .header("Prefer", "odata.maxpagesize=2");
        HttpResponse<String> p1 = HTTP.send(first.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, p1.statusCode(), p1.body());
        assertTrue(p1.body().contains("draft 0") && p1.body().contains("draft 1") && !p1.body().contains("draft 2"),
                p1.body());
        String next = member(p1.body(), "@odata.nextLink");
        assertFalse(p1.body().contains("@odata.deltaLink"), p1.body());
        HttpResponse<String> p2 = call("GET", next, t, null, null);
        assertTrue(p2.body().contains("draft 2") && !p2.body().contains("draft 0"), p2.body());
        String delta = member(p2.body(), "@odata.deltaLink");
        assertTrue(call("GET", delta, t, null, null).body().contains("\"value\":[]"), "no change since");
        HttpResponse<String> d = call("POST", "/v1.0/me/messages", t, "text/plain",
                b64(mime(addr("bob"), addr("frank"), "draft 3")));
        String id = member(d.body(), "id");
        HttpResponse<String> changes = call("GET", delta, t, null, null);
        assertTrue(changes.body().contains("draft 3") && !changes.body().contains("draft 2"), changes.body());

        HttpResponse<String> value = call("GET", "/v1.0/me/messages/" + id + "/$value", t, null, null);
        assertEquals(200, value.statusCode());
        assertTrue(value.body().startsWith("From: bob@example.test") && value.body().contains("Subject: draft 3"),
                value.body());
        assertError(call("GET", "/v1.0/me/messages/" + id + "/$value", token("bob", G + "Files.ReadWrite"), null,
                null), 403, "ErrorAccessDenied");
        assertError(call("GET", "/v1.0/me/messages/" + id + "/$value", token("eve", G + "Mail.Read"), null, null),
                404, "ErrorItemNotFound");
    }

    @Test
    void oneDriveResumableUploadInFragmentsOf320KiBThenSharingLinks() throws Exception {
        String t = token("alice", G + "Files.ReadWrite");
        assertError(call("POST", "/v1.0/me/drive/root:/BL/bl-4711.pdf:/createUploadSession", token("alice", G
                + "Mail.Send"), "application/json", "{}".getBytes()), 403, "ErrorAccessDenied");
        HttpResponse<String> s = call("POST", "/v1.0/me/drive/root:/BL/bl-4711.pdf:/createUploadSession", t,
                "application/json", "{\"item\":{\"@microsoft.graph.conflictBehavior\":\"replace\"}}".getBytes());
        assertEquals(200, s.statusCode(), s.body());
        String url = member(s.body(), "uploadUrl");
        int unit = 320 * 1024;
        int size = 3 * unit + 1000;
        byte[] file = new byte[size];
        new java.util.Random(4711).nextBytes(file);
        assertError(put(url, 0, java.util.Arrays.copyOfRange(file, 0, unit + 1), size, null), 400, "invalidRange");
        // a fragment of 60 MiB (192 x 320 KiB) is over the limit: refused on its Content-Range, before its bytes
        HttpResponse<String> huge = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Range", "bytes 0-"
                + (60 * MB - 1) + "/" + (61 * MB)).PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[10])).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(huge, 400, "invalidRange");
        assertTrue(huge.body().contains("under 60 MiB"), huge.body());
        HttpResponse<String> f1 = put(url, 0, java.util.Arrays.copyOfRange(file, 0, 2 * unit), size, null);
        assertEquals(200, f1.statusCode(), f1.body());
        // resume: the session says where to go on
        HttpResponse<String> status = call("GET", url, null, null, null);
        assertTrue(status.body().contains("\"nextExpectedRanges\":[\"" + 2 * unit + "-\"]"), status.body());
        assertError(put(url, 3 * unit, java.util.Arrays.copyOfRange(file, 3 * unit, size), size, null), 416,
                "invalidRange");
        assertEquals(200, put(url, 2 * unit, java.util.Arrays.copyOfRange(file, 2 * unit, 3 * unit), size, null)
                .statusCode());
        HttpResponse<String> done = put(url, 3 * unit, java.util.Arrays.copyOfRange(file, 3 * unit, size), size, null);
        assertEquals(201, done.statusCode(), done.body());
        String item = member(done.body(), "id");

        String links = "/v1.0/me/drive/items/" + item + "/createLink";
        assertError(call("POST", links, t, "application/json", "{\"type\":\"print\"}".getBytes()), 400,
                "invalidRequest");
        assertError(call("POST", links, t, "application/json", "{\"type\":\"view\",\"scope\":\"world\"}".getBytes()),
                400, "invalidRequest");
        HttpResponse<String> view = call("POST", links, t, "application/json",
                "{\"type\":\"view\",\"scope\":\"anonymous\"}".getBytes());
        assertEquals(201, view.statusCode(), view.body());
        assertTrue(view.body().contains("\"roles\":[\"read\"]"), view.body());
        HttpResponse<byte[]> bytes = HTTP.send(HttpRequest.newBuilder(URI.create(member(view.body(), "webUrl")))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, bytes.statusCode());
        assertArrayEquals(file, bytes.body());

        String org = member(call("POST", links, t, "application/json",
                "{\"type\":\"edit\",\"scope\":\"organization\"}".getBytes()).body(), "webUrl");
        assertEquals(401, call("GET", org, null, null, null).statusCode());
        assertEquals(200, call("GET", org, token("bob", G + "Files.ReadWrite"), null, null).statusCode());

        String expired = member(call("POST", links, t, "application/json", ("{\"type\":\"view\",\"scope\":"
                + "\"anonymous\",\"expirationDateTime\":\"" + Instant.now().minusSeconds(60) + "\"}").getBytes())
                .body(), "webUrl");
        assertEquals(404, call("GET", expired, null, null, null).statusCode());
        assertError(call("POST", links, t, "application/json", "{\"type\":\"view\",\"expirationDateTime\":\"soon\"}"
                .getBytes()), 400, "invalidRequest");
    }

    @Test
    void throttlingOnDemandAnswers429Or503WithRetryAfter() throws Exception {
        String t = token("alice", G + "Mail.Send");
        byte[] body = b64(mime(addr("alice"), addr("bob"), "throttled"));
        graph.throttleNext(2, 429, 7);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = call("POST", "/v1.0/me/sendMail", t, "text/plain", body);
            assertError(r, 429, "TooManyRequests");
            assertEquals("7", r.headers().firstValue("Retry-After").orElse(null));
        }
        assertEquals(202, call("POST", "/v1.0/me/sendMail", t, "text/plain", body).statusCode());
        graph.throttleNext(1, 503, 3);
        HttpResponse<String> r = call("POST", "/v1.0/me/sendMail", t, "text/plain", body);
        assertError(r, 503, "ServiceUnavailable");
        assertEquals("3", r.headers().firstValue("Retry-After").orElse(null));
        assertEquals(202, call("POST", "/v1.0/me/sendMail", t, "text/plain", body).statusCode());
    }
}
