package org.envoi.api.tests.servers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Envoi's contract server for Microsoft Graph and OneDrive: no real Graph runs offline, so this one follows
 * Microsoft's documented contract for exactly the calls below and nothing more; each rule cites its Microsoft Learn
 * page. Tokens are mock-oauth2-server's (signature against its JWKS, expiry, Graph's audience, scopes); sent messages
 * are delivered to Dovecot over LMTP (user {@code sub} is {@code sub@}{@link MailServers#DOMAIN}), so a test reads
 * them back over IMAP. Plain JDK HTTP on 127.0.0.1, no TLS (tests only).
 */
public final class GraphServer implements AutoCloseable {

    // https://learn.microsoft.com/en-us/graph/errors : an error is {"error":{"code","message","innerError"}}; 413
    // "Request Entity Too Large", 416 "Requested Range Not Satisfiable"
    // a request body is limited to 4 MB: https://learn.microsoft.com/en-us/answers/questions/1824204 (Microsoft's answer
    // on user-sendmail's 413), and outlook-large-attachments sends anything bigger in upload sessions
    static final long MAX_REQUEST = 4L * 1024 * 1024;
    // https://learn.microsoft.com/en-us/graph/outlook-large-attachments : files up to 150 MB, each PUT at most 4 MB
    static final long MAX_ATTACHMENT = 150L * 1024 * 1024;
    // https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession : fragments a multiple of 320 KiB,
    // less than 60 MiB each
    static final long FRAGMENT_UNIT = 320 * 1024;
    static final long MAX_FRAGMENT = 60L * 1024 * 1024;

    private final HttpServer http;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final String jwtIssuer;
    private final String audience;
    private final int lmtpPort;
    private final Path dir;
    private final Map<String, Set<String>> sendAs = new ConcurrentHashMap<>();
    private final Map<String, Message> messages = new ConcurrentHashMap<>();
    private final List<Message> log = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Upload> uploads = new ConcurrentHashMap<>();
    private final Map<String, Path> driveItems = new ConcurrentHashMap<>();
    // OneDrive: the item at each path ("folder/name"), for the conflict behaviour of a new upload
    private final Map<String, String> drivePaths = new ConcurrentHashMap<>();
    private final AtomicInteger driveCut = new AtomicInteger();
    private volatile long driveCutAt = -1;
    private volatile long driveCutAfter;
    private volatile long driveBusyAt = -1;
    private volatile int driveBusyStatus;
    private volatile int driveBusySeconds;
    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final AtomicInteger throttled = new AtomicInteger();
    private volatile int throttleStatus;
    private volatile int throttleSeconds;
    private volatile Map<String, PublicKey> keys = Map.of();

    private record Message(String id, String owner, String folder, long seq, Path mime, List<Path> attachments,
            List<String> attachmentNames) {
    }

    private static final class Upload {
        final String id = UUID.randomUUID().toString();
        final String owner;
        final Message draft; // null for OneDrive
        final String drivePath;
        long size; // -1: a OneDrive session learns it from the first fragment's Content-Range
        final Path file;
        long received;
        final String name;
        String conflictBehavior = "replace"; // OneDrive: rename, replace or fail when the path is taken

        Upload(String owner, Message draft, String drivePath, String name, long size, Path file) {
            this.owner = owner;
            this.draft = draft;
            this.drivePath = drivePath;
            this.name = name;
            this.size = size;
            this.file = file;
        }
    }

    private record Link(String itemId, String type, String scope, Instant expires) {
    }

    private final AtomicInteger sequence = new AtomicInteger();

    private GraphServer(String jwtIssuer, String audience, int lmtpPort, Path dir) throws IOException {
        this.jwtIssuer = jwtIssuer;
        this.audience = audience;
        this.lmtpPort = lmtpPort;
        this.dir = Files.createDirectories(dir);
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        http.createContext("/", this::handle);
        http.setExecutor(pool);
        http.start();
    }

    /**
     * A server whose tokens come from {@code oauth}'s issuer {@code issuer} for the audience
     * {@link MockOAuth2Server#GRAPH_AUDIENCE}, delivering to {@code peers}' Dovecot; {@code dir} holds the uploads.
     */
    public static GraphServer start(MailPeers peers, String issuer, Path dir) {
        try {
            return new GraphServer(peers.oauth.base() + "/" + issuer, MockOAuth2Server.GRAPH_AUDIENCE,
                    peers.servers.lmtpPort(), dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A server for OneDrive only (no mail delivery: no Dovecot needed), tokens from {@code oauth}'s issuer
     * {@code issuer}; {@code dir} holds the uploads.
     */
    public static GraphServer startFiles(MockOAuth2Server oauth, String issuer, Path dir) {
        try {
            return new GraphServer(oauth.base() + "/" + issuer, MockOAuth2Server.GRAPH_AUDIENCE, 0, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The next OneDrive fragment PUT that starts at byte {@code start} of its file is cut, once: the server reads
     * {@code afterBytes} of its body, then drops the connection without an answer (a network failure mid-fragment). As
     * https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession ("Resuming an in-progress upload")
     * documents, the bytes of a request that fails before it completes are ignored: the session's nextExpectedRanges
     * stays where the last completed fragment left it. {@link #cuts()} counts the cuts made.
     */
    public void cutFragmentAt(long start, long afterBytes) {
        driveCutAfter = afterBytes;
        driveCutAt = start;
    }

    /**
     * The next OneDrive fragment PUT that starts at byte {@code start} is answered {@code status} (429 or 503) with
     * {@code Retry-After: seconds}, once, its bytes dropped: https://learn.microsoft.com/en-us/graph/throttling (any
     * call may be throttled, the wait in Retry-After); the session stays where it was.
     */
    public void throttleFragmentAt(long start, int status, int seconds) {
        driveBusyStatus = status;
        driveBusySeconds = seconds;
        driveBusyAt = start;
    }

    /** How many fragments {@link #cutFragmentAt} cut. */
    public int cuts() {
        return driveCut.get();
    }

    /** When a sharing link expires, or null if it has no expiry (or is unknown). */
    public Instant linkExpiry(URI webUrl) {
        String path = webUrl.getPath();
        Link l = path.startsWith("/link/") ? links.get(path.substring("/link/".length())) : null;
        return l == null ? null : l.expires;
    }

    /** The scope ({@code anonymous}, {@code organization}) a sharing link was created with, or null if none. */
    public String linkScope(URI webUrl) {
        String path = webUrl.getPath();
        Link l = path.startsWith("/link/") ? links.get(path.substring("/link/".length())) : null;
        return l == null ? null : l.scope;
    }

    /** {@code http://127.0.0.1:port}; Graph's calls are under {@code /v1.0}. */
    public String base() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    /** Lets {@code user} (a subject) send as {@code mailbox}, as Exchange's "Send As" right. */
    public void grantSendAs(String user, String mailbox) {
        sendAs.computeIfAbsent(user, k -> ConcurrentHashMap.newKeySet()).add(mailbox.toLowerCase());
    }

    /**
     * The next {@code calls} calls (any path) are answered {@code status} (429 or 503) with {@code Retry-After:
     * seconds}, as https://learn.microsoft.com/en-us/graph/throttling documents ("returns HTTP status code 429 Too Many
     * Requests ... a suggested wait time in the response header", Retry-After; 503 likewise when the service is
     * unavailable).
     */
    public void throttleNext(int calls, int status, int seconds) {
        throttleStatus = status;
        throttleSeconds = seconds;
        throttled.set(calls);
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
        TestServers.deleteQuietly(dir);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static final Pattern SEND_MAIL = Pattern.compile("/v1\\.0/(me|users/([^/]+))/sendMail");
    private static final Pattern DRAFT_UPLOAD = Pattern.compile(
            "/v1\\.0/me/messages/([^/]+)/attachments/createUploadSession");
    private static final Pattern DRAFT_SEND = Pattern.compile("/v1\\.0/me/messages/([^/]+)/send");
    private static final Pattern DELTA = Pattern.compile("/v1\\.0/me/mailFolders/([^/]+)/messages/delta");
    private static final Pattern VALUE = Pattern.compile("/v1\\.0/me/messages/([^/]+)/\\$value");
    private static final Pattern DRIVE_UPLOAD = Pattern.compile("/v1\\.0/me/drive/root:/(.+):/createUploadSession");
    private static final Pattern CREATE_LINK = Pattern.compile("/v1\\.0/me/drive/items/([^/]+)/createLink");
    private static final Pattern FOLDER = Pattern.compile("/v1\\.0/me/mailFolders/([^/]+)");
    private static final Pattern DRAFT_ATTACH = Pattern.compile("/v1\\.0/me/messages/([^/]+)/attachments");

    private void handle(HttpExchange ex) throws IOException {
        try {
            if (throttled.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                ex.getResponseHeaders().set("Retry-After", Integer.toString(throttleSeconds));
                error(ex, throttleStatus, throttleStatus == 429 ? "TooManyRequests" : "ServiceUnavailable",
                        "The request has been throttled");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            Matcher m;
            if (path.startsWith("/upload/")) {
                upload(ex, path.substring("/upload/".length()));
            } else if (path.startsWith("/link/")) {
                serveLink(ex, path.substring("/link/".length()));
            } else if (method.equals("POST") && (m = SEND_MAIL.matcher(path)).matches()) {
                sendMail(ex, m.group(2) == null ? null : java.net.URLDecoder.decode(m.group(2),
                        StandardCharsets.UTF_8));
            } else if (method.equals("POST") && path.equals("/v1.0/me/messages")) {
                createDraft(ex);
            } else if (method.equals("POST") && (m = DRAFT_UPLOAD.matcher(path)).matches()) {
                attachmentSession(ex, m.group(1));
            } else if (method.equals("POST") && (m = DRAFT_SEND.matcher(path)).matches()) {
                sendDraft(ex, m.group(1));
            } else if (method.equals("GET") && (m = DELTA.matcher(path)).matches()) {
                delta(ex, m.group(1));
            } else if (method.equals("GET") && (m = VALUE.matcher(path)).matches()) {
                mimeValue(ex, m.group(1));
            } else if (method.equals("POST") && (m = DRIVE_UPLOAD.matcher(path)).matches()) {
                driveSession(ex, m.group(1));
            } else if (method.equals("POST") && (m = CREATE_LINK.matcher(path)).matches()) {
                createLink(ex, m.group(1));
            } else if (method.equals("GET") && (m = FOLDER.matcher(path)).matches()) {
                mailFolder(ex, m.group(1));
            } else if (method.equals("POST") && (m = DRAFT_ATTACH.matcher(path)).matches()) {
                attachSmall(ex, m.group(1));
            } else {
                error(ex, 400, "BadRequest", "Resource not found for the segment '" + path + "'.");
            }
        } catch (RuntimeException | IOException e) {
            e.printStackTrace(); // a fault of this server: the test shows it
            error(ex, 500, "generalException", String.valueOf(e));
        } finally {
            ex.close();
        }
    }

    // --- authentication --------------------------------------------------------------------------------------------

    /**
     * The bearer token's subject when it is valid and holds one of {@code scopes}; else answers 401/403 and returns
     * null. https://learn.microsoft.com/en-us/graph/errors : 401 "Required authentication information is either missing
     * or not valid" (code InvalidAuthenticationToken), 403 "Access is denied" (ErrorAccessDenied); the permission each
     * call needs is on its page (user-sendmail: Mail.Send; user-post-messages and attachment-createuploadsession:
     * Mail.ReadWrite; message-delta and message get ($value): Mail.Read or Mail.ReadWrite; driveitem-createuploadsession
     * and driveitem-createlink: Files.ReadWrite).
     */
    private String authorize(HttpExchange ex, String... scopes) throws IOException {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            unauthorized(ex, "Access token is empty.");
            return null;
        }
        String[] parts = h.substring(7).trim().split("\\.");
        if (parts.length != 3) {
            unauthorized(ex, "IDX14100: JWT is not well formed.");
            return null;
        }
        String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        if (!"RS256".equals(string(header, "alg")) || !verify(string(header, "kid"), parts)) {
            unauthorized(ex, "Access token validation failure. Invalid signature.");
            return null;
        }
        Matcher exp = Pattern.compile("\"exp\"\\s*:\\s*(\\d+)").matcher(claims);
        if (!exp.find() || Long.parseLong(exp.group(1)) <= Instant.now().getEpochSecond()) {
            unauthorized(ex, "Lifetime validation failed, the token is expired.");
            return null;
        }
        if (!jwtIssuer.equals(string(claims, "iss"))) {
            unauthorized(ex, "Access token validation failure. Invalid issuer.");
            return null;
        }
        Matcher aud = Pattern.compile("\"aud\"\\s*:\\s*(\\[[^\\]]*\\]|\"[^\"]*\")").matcher(claims);
        if (!aud.find() || !aud.group(1).contains("\"" + audience + "\"")) {
            unauthorized(ex, "Invalid audience.");
            return null;
        }
        String scp = string(claims, "scp");
        if (scp == null) {
            scp = string(claims, "scope");
        }
        Set<String> granted = new LinkedHashSet<>();
        for (String s : scp == null ? new String[0] : scp.split(" ")) {
            granted.add(s.substring(s.lastIndexOf('/') + 1)); // "https://graph.microsoft.com/Mail.Send" is Mail.Send
        }
        for (String s : scopes) {
            if (granted.contains(s)) {
                return string(claims, "sub");
            }
        }
        error(ex, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        return null;
    }

    private boolean verify(String kid, String[] parts) {
        for (int attempt = 0; attempt < 2; attempt++) {
            PublicKey key = keys.get(kid);
            if (key != null) {
                try {
                    Signature s = Signature.getInstance("SHA256withRSA");
                    s.initVerify(key);
                    s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
                    return s.verify(Base64.getUrlDecoder().decode(parts[2]));
                } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
                    return false;
                }
            }
            keys = fetchKeys(); // first use, or the server made new keys (a restart)
        }
        return false;
    }

    /** The issuer's signing keys: its openid-configuration names {@code jwks_uri}. */
    private Map<String, PublicKey> fetchKeys() {
        try {
            HttpClient c = HttpClient.newHttpClient();
            String conf = c.send(HttpRequest.newBuilder(URI.create(jwtIssuer + "/.well-known/openid-configuration"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            String jwks = c.send(HttpRequest.newBuilder(URI.create(string(conf, "jwks_uri"))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Map<String, PublicKey> out = new ConcurrentHashMap<>();
            Matcher k = Pattern.compile("\\{[^{}]*\\}").matcher(jwks);
            while (k.find()) {
                String jwk = k.group();
                if ("RSA".equals(string(jwk, "kty"))) {
                    BigInteger n = new BigInteger(1, Base64.getUrlDecoder().decode(string(jwk, "n")));
                    BigInteger e = new BigInteger(1, Base64.getUrlDecoder().decode(string(jwk, "e")));
                    out.put(String.valueOf(string(jwk, "kid")),
                            KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e)));
                }
            }
            return out;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("no JWKS from " + jwtIssuer + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void unauthorized(HttpExchange ex, String message) throws IOException {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        error(ex, 401, "InvalidAuthenticationToken", message);
    }

    // --- mail ------------------------------------------------------------------------------------------------------

    /**
     * https://learn.microsoft.com/en-us/graph/api/user-sendmail : POST /me/sendMail or /users/{id}/sendMail; MIME goes
     * base64 in a text/plain body ("provide the MIME content as a base64-encoded string"), malformed base64 is 400
     * "Invalid base64 string for MIME content."; success is 202 Accepted with no body. Sending from another mailbox
     * needs the Send As right (https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user: the signed-in
     * user "MUST have at least one of these permissions"), else 403 ErrorSendAsDenied "...does not have the right to
     * send mail on behalf of the specified sending account". A body over 4 MB is 413 "The maximum request length
     * supported is 4MB." (see MAX_REQUEST; /graph/errors for 413).
     */
    private void sendMail(HttpExchange ex, String mailbox) throws IOException {
        Authorized call = authorizedBody(ex, "Mail.Send");
        if (call == null) {
            return;
        }
        String user = call.user();
        byte[] body = call.body();
        byte[] mime = mime(ex, body);
        if (mime == null) {
            return;
        }
        if (!maySendAs(user, mailbox) || !maySendAs(user, header(mime, "From"))) {
            error(ex, 403, "ErrorSendAsDenied", "The user account which was used to submit this request does not"
                    + " have the right to send mail on behalf of the specified sending account.");
            return;
        }
        Path file = Files.write(dir.resolve(UUID.randomUUID() + ".eml"), mime);
        Message sent = new Message(UUID.randomUUID().toString(), user, "sentitems", sequence.incrementAndGet(), file,
                List.of(), List.of());
        toInboxes(sent, deliver(sent));
        keep(sent);
        respond(ex, 202, null);
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/user-post-messages : a draft from MIME (base64, text/plain) or JSON,
     * 201 Created with the message (its id); it lands in Drafts.
     */
    private void createDraft(HttpExchange ex) throws IOException {
        Authorized call = authorizedBody(ex, "Mail.ReadWrite");
        if (call == null) {
            return;
        }
        String user = call.user();
        byte[] body = call.body();
        byte[] mime;
        String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type"));
        if (type.startsWith("application/json")) {
            mime = jsonToMime(user, new String(body, StandardCharsets.UTF_8));
        } else if ((mime = mime(ex, body)) == null) {
            return;
        }
        Path file = Files.write(dir.resolve(UUID.randomUUID() + ".eml"), mime);
        Message draft = new Message(UUID.randomUUID().toString(), user, "drafts", sequence.incrementAndGet(), file,
                new ArrayList<>(), new ArrayList<>());
        if (type.startsWith("application/json")) {
            jsonAttachments(new String(body, StandardCharsets.UTF_8), draft);
        }
        keep(draft);
        respond(ex, 201, "{\"id\":\"" + draft.id + "\",\"isDraft\":true,\"subject\":\""
                + json(String.valueOf(header(mime, "Subject"))) + "\"}");
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession : body {"AttachmentItem":
     * {"attachmentType":"file","name","size"}}, 201 Created with an uploadSession (uploadUrl, expirationDateTime,
     * nextExpectedRanges ["0"]); files up to 150 MB (https://learn.microsoft.com/en-us/graph/outlook-large-attachments).
     */
    private void attachmentSession(HttpExchange ex, String id) throws IOException {
        Authorized call = authorizedBody(ex, "Mail.ReadWrite");
        if (call == null) {
            return;
        }
        String user = call.user();
        byte[] body = call.body();
        Message draft = messages.get(id);
        if (draft == null || !draft.owner.equals(user) || !draft.folder.equals("drafts")) {
            error(ex, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
            return;
        }
        String json = new String(body, StandardCharsets.UTF_8);
        Matcher size = Pattern.compile("\"size\"\\s*:\\s*(\\d+)").matcher(json);
        String name = string(json, "name");
        if (!size.find() || name == null || !"file".equals(string(json, "attachmentType"))) {
            error(ex, 400, "ErrorInvalidRequest", "AttachmentItem needs attachmentType file, name and size.");
            return;
        }
        long n = Long.parseLong(size.group(1));
        if (n > MAX_ATTACHMENT) {
            error(ex, 400, "ErrorInvalidRequest", "The attachment size " + n
                    + " is over the limit of " + MAX_ATTACHMENT + " bytes.");
            return;
        }
        Upload u = new Upload(user, draft, null, name, n, dir.resolve(UUID.randomUUID() + ".part"));
        Files.createFile(u.file);
        uploads.put(u.id, u);
        respond(ex, 201, session(u, "\"0\""));
    }

    private String session(Upload u, String next) {
        return "{\"uploadUrl\":\"" + base() + "/upload/" + u.id + "\",\"expirationDateTime\":\""
                + Instant.now().plusSeconds(3600) + "\",\"nextExpectedRanges\":[" + next + "]}";
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/message-send : POST /me/messages/{id}/send, 202 Accepted; the draft
     * is sent (here: delivered with its uploaded attachments) and moves to Sent Items.
     */
    private void sendDraft(HttpExchange ex, String id) throws IOException {
        String user = authorize(ex, "Mail.Send");
        if (user == null) {
            return;
        }
        Message draft = messages.get(id);
        if (draft == null || !draft.owner.equals(user) || !draft.folder.equals("drafts")) {
            error(ex, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
            return;
        }
        byte[] mime = Files.readAllBytes(draft.mime);
        if (!maySendAs(user, header(mime, "From"))) {
            error(ex, 403, "ErrorSendAsDenied", "The user account which was used to submit this request does not"
                    + " have the right to send mail on behalf of the specified sending account.");
            return;
        }
        Path full = draft.attachments.isEmpty() ? draft.mime : withAttachments(draft);
        messages.remove(id);
        Message sent = new Message(id, user, "sentitems", sequence.incrementAndGet(), full, List.of(), List.of());
        toInboxes(sent, deliver(sent));
        keep(sent);
        respond(ex, 202, null);
    }

    private void keep(Message m) {
        messages.put(m.id, m);
        log.add(m);
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/message-delta : GET /me/mailFolders/{id}/messages/delta; pages end
     * with @odata.nextLink (more now) or @odata.deltaLink (none left: call it later for the changes since); page size
     * by {@code Prefer: odata.maxpagesize=n}. Well-known folder names (drafts, sentitems) as
     * https://learn.microsoft.com/en-us/graph/api/resources/mailfolder lists them.
     */
    private void delta(HttpExchange ex, String folder) throws IOException {
        String user = authorize(ex, "Mail.Read", "Mail.ReadWrite");
        if (user == null) {
            return;
        }
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        long after = q.containsKey("$deltatoken") ? Long.parseLong(q.get("$deltatoken")) : 0;
        long skip = q.containsKey("$skiptoken") ? Long.parseLong(q.get("$skiptoken")) : after;
        int page = 10;
        String prefer = ex.getRequestHeaders().getFirst("Prefer");
        if (prefer != null) {
            Matcher p = Pattern.compile("odata\\.maxpagesize=(\\d+)").matcher(prefer);
            if (p.find()) {
                page = Integer.parseInt(p.group(1));
            }
        }
        List<Message> all;
        synchronized (log) {
            all = log.stream().filter(m -> m.owner.equals(user) && m.folder.equalsIgnoreCase(folder)
                    && m.seq > skip && messages.get(m.id) == m).toList();
        }
        List<Message> now = all.subList(0, Math.min(page, all.size()));
        StringBuilder value = new StringBuilder();
        for (Message m : now) {
            value.append(value.length() == 0 ? "" : ",").append("{\"id\":\"").append(m.id).append("\",\"subject\":\"")
                    .append(json(String.valueOf(header(head(m.mime), "Subject")))).append("\"}");
        }
        String self = base() + ex.getRequestURI().getRawPath();
        String link = all.size() > now.size()
                ? "\"@odata.nextLink\":\"" + self + "?$skiptoken=" + now.get(now.size() - 1).seq + "\""
                : "\"@odata.deltaLink\":\"" + self + "?$deltatoken="
                        + (now.isEmpty() ? skip : now.get(now.size() - 1).seq) + "\"";
        respond(ex, 200, "{\"value\":[" + value + "]," + link + "}");
    }

    /**
     * https://learn.microsoft.com/en-us/graph/outlook-get-mime-message : GET /me/messages/{id}/$value answers the
     * message's MIME content (text/plain).
     */
    private void mimeValue(HttpExchange ex, String id) throws IOException {
        String user = authorize(ex, "Mail.Read", "Mail.ReadWrite");
        if (user == null) {
            return;
        }
        Message m = messages.get(id);
        if (m == null || !m.owner.equals(user)) {
            error(ex, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        ex.sendResponseHeaders(200, Files.size(m.mime));
        try (OutputStream out = ex.getResponseBody()) {
            Files.copy(m.mime, out);
        }
    }

    // --- uploads ---------------------------------------------------------------------------------------------------

    /**
     * PUT to an uploadUrl. https://learn.microsoft.com/en-us/graph/outlook-large-attachments : the URL is
     * pre-authenticated, "Don't specify an Authorization request header"... a PUT with one fails 401; each PUT at most
     * 4 MB, in order from nextExpectedRanges; the last answers 201 Created with the attachment in Location.
     * https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession : OneDrive fragments in order, each a
     * multiple of 320 KiB and under 60 MiB (the last may be shorter); a range that does not start where the server
     * expects is 416; GET on the uploadUrl gives the session with nextExpectedRanges (resume); the last fragment answers
     * 201 Created with the driveItem.
     */
    private void upload(HttpExchange ex, String id) throws IOException {
        Upload u = uploads.get(id);
        if (u == null) {
            error(ex, 404, "itemNotFound", "The upload session was not found.");
            return;
        }
        if (ex.getRequestMethod().equals("GET")) {
            respond(ex, 200, session(u, u.draft == null ? "\"" + u.received + "-\"" : "\"" + u.received + "\""));
            return;
        }
        // driveitem-createuploadsession likewise: "If you include the Authorization header when issuing the PUT call,
        // it may result in an HTTP 401 Unauthorized response"
        if (ex.getRequestHeaders().getFirst("Authorization") != null) {
            unauthorized(ex, "The upload URL is pre-authenticated: send no Authorization header.");
            return;
        }
        Matcher r = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)").matcher(
                String.valueOf(ex.getRequestHeaders().getFirst("Content-Range")));
        if (!ex.getRequestMethod().equals("PUT") || !r.matches()) {
            error(ex, 400, "invalidRequest", "PUT with Content-Range: bytes start-end/total.");
            return;
        }
        long start = Long.parseLong(r.group(1));
        long end = Long.parseLong(r.group(2));
        long total = Long.parseLong(r.group(3));
        long length = end - start + 1;
        if ((u.size >= 0 && total != u.size) || end < start || end >= total) {
            error(ex, 400, "invalidRange", "Content-Range does not fit the file's " + u.size + " bytes.");
            return;
        }
        if (start != u.received) {
            error(ex, 416, "invalidRange", "The uploaded fragment does not start at the next expected range "
                    + u.received + ".");
            return;
        }
        boolean last = end == total - 1;
        if (u.draft != null && length > MAX_REQUEST) {
            error(ex, 413, "ErrorRequestEntityTooLarge", "Each PUT carries at most 4 MB.");
            return;
        }
        if (u.draft == null && (length >= MAX_FRAGMENT || (!last && length % FRAGMENT_UNIT != 0))) {
            error(ex, 400, "invalidRange", "A fragment is a multiple of 320 KiB and under 60 MiB (the last one may"
                    + " be shorter).");
            return;
        }
        if (u.draft == null && start == driveBusyAt) {
            driveBusyAt = -1;
            ex.getResponseHeaders().set("Retry-After", Integer.toString(driveBusySeconds));
            error(ex, driveBusyStatus, driveBusyStatus == 429 ? "TooManyRequests" : "ServiceUnavailable",
                    "The request has been throttled");
            return;
        }
        if (u.draft == null && start == driveCutAt) {
            driveCutAt = -1;
            driveCut.incrementAndGet();
            // see cutFragmentAt: read part of the fragment, then drop the connection with no answer (closing the
            // exchange before any response header closes the connection); nothing of it is kept
            ex.getRequestBody().readNBytes((int) Math.min(length, driveCutAfter));
            return;
        }
        long copied;
        try (InputStream in = ex.getRequestBody();
                OutputStream out = Files.newOutputStream(u.file, StandardOpenOption.APPEND)) {
            copied = copy(in, out, length + 1);
        } catch (IOException e) {
            // the client went away mid-fragment: its bytes are ignored (driveitem-createuploadsession, "Resuming")
            try (var ch = java.nio.channels.FileChannel.open(u.file, StandardOpenOption.WRITE)) {
                ch.truncate(u.received);
            }
            throw e;
        }
        if (copied != length) {
            try (var ch = java.nio.channels.FileChannel.open(u.file, StandardOpenOption.WRITE)) {
                ch.truncate(u.received);
            }
            error(ex, 400, "invalidRequest", "The body has " + copied + " bytes, Content-Range says " + length + ".");
            return;
        }
        u.received += length;
        u.size = total; // a OneDrive session learns it from its first fragment accepted
        if (!last) {
            respond(ex, 200, session(u, u.draft == null ? "\"" + u.received + "-\"" : "\"" + u.received + "\""));
            return;
        }
        uploads.remove(id);
        if (u.draft != null) {
            u.draft.attachments.add(u.file);
            u.draft.attachmentNames.add(u.name);
            ex.getResponseHeaders().set("Location", base() + "/v1.0/me/messages/" + u.draft.id + "/attachments/"
                    + u.id);
            respond(ex, 201, null);
        } else {
            complete(ex, u);
        }
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession : POST /me/drive/root:/{path}:/...; the
     * body's {"item":{"@microsoft.graph.conflictBehavior":"rename|fail|replace"}} says what happens when the path is
     * taken (https://learn.microsoft.com/en-us/graph/api/resources/driveitem, instance attributes: "The default for
     * PUT is replace", which an upload session's PUTs get here).
     */
    private void driveSession(HttpExchange ex, String path) throws IOException {
        String user = authorize(ex, "Files.ReadWrite");
        if (user == null) {
            return;
        }
        byte[] body = readLimited(ex);
        if (body == null) {
            return;
        }
        String decoded = java.net.URLDecoder.decode(path, StandardCharsets.UTF_8);
        Upload u = new Upload(user, null, decoded, decoded.substring(decoded.lastIndexOf('/') + 1), -1,
                dir.resolve(UUID.randomUUID() + ".part"));
        String conflict = string(new String(body, StandardCharsets.UTF_8), "@microsoft.graph.conflictBehavior");
        if (conflict != null) {
            u.conflictBehavior = conflict;
        }
        Files.createFile(u.file);
        uploads.put(u.id, u);
        respond(ex, 200, session(u, "\"0-\""));
    }

    /**
     * The last fragment of a OneDrive upload: 201 Created with the driveItem (id, name, size, webUrl). A taken path
     * is replaced (same item, new content), renamed ("name 1.ext", as OneDrive numbers copies) or refused (409
     * nameAlreadyExists), per the session's conflict behaviour.
     */
    private void complete(HttpExchange ex, Upload u) throws IOException {
        String owned = u.owner + ":" + u.drivePath;
        String id = u.id;
        String name = u.name;
        synchronized (drivePaths) {
            String taken = drivePaths.get(owned);
            if (taken != null && u.conflictBehavior.equals("replace")) {
                id = taken;
            } else if (taken != null && u.conflictBehavior.equals("rename")) {
                String folder = u.drivePath.substring(0, u.drivePath.length() - u.name.length());
                int dot = u.name.lastIndexOf('.');
                String stem = dot > 0 ? u.name.substring(0, dot) : u.name;
                String ext = dot > 0 ? u.name.substring(dot) : "";
                for (int i = 1; drivePaths.containsKey(u.owner + ":" + folder + name); i++) {
                    name = stem + " " + i + ext;
                }
                owned = u.owner + ":" + folder + name;
            } else if (taken != null) {
                error(ex, 409, "nameAlreadyExists", "The specified item name already exists.");
                return;
            }
            drivePaths.put(owned, id);
            driveItems.put(id, u.file);
        }
        respond(ex, 201, "{\"id\":\"" + id + "\",\"name\":\"" + json(name) + "\",\"size\":" + u.size
                + ",\"webUrl\":\"" + base() + "/item/" + id + "\"}");
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/driveitem-createlink : body {type: view|edit|embed, scope:
     * anonymous|organization|users, expirationDateTime (yyyy-MM-ddTHH:mm:ssZ)}; 201 Created with a permission whose
     * link.webUrl opens the item (embed is OneDrive personal only, users needs recipients: refused here).
     */
    private void createLink(HttpExchange ex, String id) throws IOException {
        Authorized call = authorizedBody(ex, "Files.ReadWrite");
        if (call == null) {
            return;
        }
        byte[] body = call.body();
        if (!driveItems.containsKey(id)) {
            error(ex, 404, "itemNotFound", "The resource could not be found.");
            return;
        }
        String json = new String(body, StandardCharsets.UTF_8);
        String type = string(json, "type");
        String scope = string(json, "scope");
        String expiry = string(json, "expirationDateTime");
        if (!"view".equals(type) && !"edit".equals(type)) {
            error(ex, 400, "invalidRequest", "type must be view or edit.");
            return;
        }
        if (scope != null && !scope.equals("anonymous") && !scope.equals("organization")) {
            error(ex, 400, "invalidRequest", "scope must be anonymous or organization.");
            return;
        }
        Instant expires = null;
        try {
            expires = expiry == null ? null : Instant.parse(expiry);
        } catch (DateTimeParseException e) {
            error(ex, 400, "invalidRequest", "expirationDateTime must be yyyy-MM-ddTHH:mm:ssZ.");
            return;
        }
        String linkId = UUID.randomUUID().toString();
        Link l = new Link(id, type, scope == null ? "anonymous" : scope, expires);
        links.put(linkId, l);
        respond(ex, 201, "{\"id\":\"" + linkId + "\",\"roles\":[\"" + (type.equals("edit") ? "write" : "read")
                + "\"],\"link\":{\"type\":\"" + type + "\",\"scope\":\"" + l.scope + "\",\"webUrl\":\"" + base()
                + "/link/" + linkId + "\"}" + (expires == null ? "" : ",\"expirationDateTime\":\"" + expires + "\"")
                + "}");
    }

    /** GET a link: the file's bytes; an organization link asks for a valid token, an expired link is gone. */
    private void serveLink(HttpExchange ex, String id) throws IOException {
        Link l = links.get(id);
        if (l == null || (l.expires != null && Instant.now().isAfter(l.expires))) {
            error(ex, 404, "itemNotFound", "The sharing link no longer exists.");
            return;
        }
        if (l.scope.equals("organization") && authorize(ex, "Files.Read", "Files.ReadWrite") == null) {
            return;
        }
        Path f = driveItems.get(l.itemId);
        ex.sendResponseHeaders(200, Files.size(f));
        try (OutputStream out = ex.getResponseBody()) {
            Files.copy(f, out);
        }
    }

    // --- delivery --------------------------------------------------------------------------------------------------

    /** To Dovecot over LMTP, as Postfix does: one RCPT per address of To, Cc and Bcc, the MIME as it came. */
    private List<String> deliver(Message m) throws IOException {
        byte[] head = head(m.mime); // the body (up to 150 MB of attachments) is streamed below, never held
        List<String> rcpt = new ArrayList<>();
        for (String h : new String[] { "To", "Cc", "Bcc" }) {
            String v = header(head, h);
            if (v != null) {
                Matcher a = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+").matcher(v);
                while (a.find()) {
                    rcpt.add(a.group());
                }
            }
        }
        String from = String.valueOf(header(head, "From"));
        Matcher f = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+").matcher(from);
        try (Socket s = new Socket("127.0.0.1", lmtpPort)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = new java.io.BufferedOutputStream(s.getOutputStream(), 64 * 1024);
            reply(in, "220");
            cmd(out, "LHLO graph.envoi.test");
            reply(in, "250");
            cmd(out, "MAIL FROM:<" + (f.find() ? f.group() : "") + ">");
            reply(in, "250");
            for (String r : rcpt) {
                cmd(out, "RCPT TO:<" + r + ">");
                reply(in, "250");
            }
            cmd(out, "DATA");
            reply(in, "354");
            dotStuffed(m.mime, out);
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (int i = 0; i < rcpt.size(); i++) {
                reply(in, "250");
            }
            cmd(out, "QUIT");
        }
        return rcpt;
    }

    private static void cmd(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void reply(BufferedReader in, String code) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null || !line.startsWith(code)) {
                throw new IOException("LMTP: expected " + code + ", got " + line);
            }
        } while (line.charAt(3) == '-');
    }

    /**
     * The message as the recipients get it: the Bcc header is removed on delivery ("the 'Bcc:' line is removed even
     * though all of the recipients (including those specified in the 'Bcc:' field) are sent a copy", RFC 5322 3.6.3;
     * Exchange and Postfix's cleanup do so), so a MIME sendMail names its blind copies in a Bcc header.
     */
    private static void dotStuffed(Path mime, OutputStream out) throws IOException {
        recipientCopy(mime, out, true);
    }

    private static void recipientCopy(Path mime, OutputStream out, boolean dotStuff) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(mime, StandardCharsets.ISO_8859_1)) {
            String line;
            boolean head = true;
            boolean bcc = false;
            while ((line = r.readLine()) != null) {
                if (head) {
                    head = !line.isEmpty();
                    boolean folded = line.startsWith(" ") || line.startsWith("\t");
                    bcc = head && (folded ? bcc : line.regionMatches(true, 0, "Bcc:", 0, 4));
                    if (bcc) {
                        continue;
                    }
                }
                out.write(((dotStuff && line.startsWith(".") ? "." : "") + line + "\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
        }
    }

    /** The draft's MIME wrapped in multipart/mixed with its attachments (base64, streamed from their files). */
    private Path withAttachments(Message draft) throws IOException {
        byte[] mime = Files.readAllBytes(draft.mime);
        String text = new String(mime, StandardCharsets.ISO_8859_1);
        int split = text.indexOf("\r\n\r\n") >= 0 ? text.indexOf("\r\n\r\n") : text.indexOf("\n\n");
        String headers = text.substring(0, split);
        String boundary = "=_envoi_graph_" + UUID.randomUUID();
        StringBuilder top = new StringBuilder();
        StringBuilder part = new StringBuilder();
        for (String h : headers.split("\r?\n(?![ \t])")) {
            if (h.regionMatches(true, 0, "Content-", 0, 8) || h.regionMatches(true, 0, "MIME-Version", 0, 12)) {
                part.append(h).append("\r\n");
            } else {
                top.append(h).append("\r\n");
            }
        }
        Path out = dir.resolve(UUID.randomUUID() + ".eml");
        try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(out), 64 * 1024)) {
            o.write((top + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--"
                    + boundary + "\r\n" + (part.length() == 0 ? "Content-Type: text/plain\r\n" : part) + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            o.write(text.substring(split).trim().getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < draft.attachments.size(); i++) {
                o.write(("\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Disposition:"
                        + " attachment; filename=\"" + draft.attachmentNames.get(i) + "\"\r\n"
                        + "Content-Transfer-Encoding: base64\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                OutputStream b64 = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).wrap(
                        new java.io.FilterOutputStream(o) {
                            @Override
                            public void write(byte[] b, int off, int len) throws IOException {
                                out.write(b, off, len); // FilterOutputStream's own writes byte by byte
                            }

                            @Override
                            public void close() throws IOException {
                                flush(); // leave the message's stream open
                            }
                        });
                Files.copy(draft.attachments.get(i), b64);
                b64.close();
            }
            o.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private boolean maySendAs(String user, String address) {
        if (address == null) {
            return true;
        }
        Matcher a = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+").matcher(address);
        if (!a.find()) {
            return true;
        }
        String mailbox = a.group().toLowerCase();
        return mailbox.equals((user + "@" + MailServers.DOMAIN).toLowerCase())
                || sendAs.getOrDefault(user, Set.of()).contains(mailbox);
    }

    /** The base64 MIME of a text/plain body, or null once it answered 400 as user-sendmail documents. */
    private byte[] mime(HttpExchange ex, byte[] body) throws IOException {
        String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type"));
        if (!type.startsWith("text/plain")) {
            error(ex, 415, "UnsupportedMediaType", "MIME content is sent base64 as text/plain.");
            return null;
        }
        try {
            return Base64.getMimeDecoder().decode(new String(body, StandardCharsets.US_ASCII).trim());
        } catch (IllegalArgumentException e) {
            error(ex, 400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.");
            return null;
        }
    }

    /**
     * A draft from JSON (https://learn.microsoft.com/en-us/graph/api/resources/message): toRecipients, ccRecipients,
     * bccRecipients, from (sending as another mailbox needs Send As at send time), subject, body {contentType: text or
     * html, content}, internetMessageId ("updatable only if isDraft is true": kept as the Message-ID); a draft without
     * any of the recipient lists sends to every address it names (the contract test's drafts).
     */
    private byte[] jsonToMime(String user, String json) {
        String to = addresses(json, "toRecipients");
        String cc = addresses(json, "ccRecipients");
        String bcc = addresses(json, "bccRecipients");
        if (to.isEmpty() && cc.isEmpty() && bcc.isEmpty()) {
            StringBuilder all = new StringBuilder();
            Matcher a = Pattern.compile("\"address\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
            while (a.find()) {
                all.append(all.length() == 0 ? "" : ", ").append(a.group(1));
            }
            to = all.toString();
        }
        Matcher from = Pattern.compile("\"from\"\\s*:\\s*\\{\\s*\"emailAddress\"\\s*:\\s*\\{[^}]*\"address\"\\s*:"
                + "\\s*\"([^\"]+)\"").matcher(json);
        String id = string(json, "internetMessageId");
        boolean html = "html".equalsIgnoreCase(string(json, "contentType"));
        return ("From: " + (from.find() ? from.group(1) : user + "@" + MailServers.DOMAIN) + "\r\n"
                + (to.isEmpty() ? "" : "To: " + to + "\r\n") + (cc.isEmpty() ? "" : "Cc: " + cc + "\r\n")
                + (bcc.isEmpty() ? "" : "Bcc: " + bcc + "\r\n") + "Subject: " + String.valueOf(string(json, "subject"))
                + "\r\nMessage-ID: " + (id != null ? id : "<" + UUID.randomUUID() + "@graph.envoi.test>")
                + "\r\nMIME-Version: 1.0\r\nContent-Type: text/" + (html ? "html" : "plain") + "; charset=UTF-8\r\n\r\n"
                + String.valueOf(string(json, "content")).replace("\\n", "\r\n") + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The addresses of one recipient list of a JSON message ({"emailAddress": {"address": ...}}...), comma-joined. */
    private static String addresses(String json, String list) {
        Matcher l = Pattern.compile("\"" + list + "\"\\s*:\\s*\\[([^\\[\\]]*)\\]").matcher(json);
        StringBuilder out = new StringBuilder();
        if (l.find()) {
            Matcher a = Pattern.compile("\"address\"\\s*:\\s*\"([^\"]+)\"").matcher(l.group(1));
            while (a.find()) {
                out.append(out.length() == 0 ? "" : ", ").append(a.group(1));
            }
        }
        return out.toString();
    }

    /**
     * The fileAttachments of a JSON draft or of one POST .../attachments ({"@odata.type":
     * "#microsoft.graph.fileAttachment", "name", "contentBytes" base64}), kept as files beside the uploaded ones.
     */
    private void jsonAttachments(String json, Message draft) throws IOException {
        Matcher a = Pattern.compile("\\{[^{}]*\"contentBytes\"[^{}]*\\}").matcher(json);
        // base64 has no quote nor backslash: a plain character class, since string()'s alternation recurses per
        // character and overflows the stack on a file of megabytes
        Pattern bytes = Pattern.compile("\"contentBytes\"\\s*:\\s*\"([A-Za-z0-9+/=]*)\"");
        while (a.find()) {
            String name = string(a.group(), "name");
            Matcher b = bytes.matcher(a.group());
            Path f = dir.resolve(UUID.randomUUID() + ".part");
            Files.write(f, Base64.getDecoder().decode(b.find() ? b.group(1) : ""));
            draft.attachments.add(f);
            draft.attachmentNames.add(name == null ? "attachment" : name);
        }
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/message-post-attachments : POST /me/messages/{id}/attachments with
     * one fileAttachment (under 3 MB; larger files go through an upload session), 201 Created.
     */
    private void attachSmall(HttpExchange ex, String id) throws IOException {
        Authorized call = authorizedBody(ex, "Mail.ReadWrite");
        if (call == null) {
            return;
        }
        Message draft = messages.get(id);
        if (draft == null || !draft.owner.equals(call.user()) || !draft.folder.equals("drafts")) {
            error(ex, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
            return;
        }
        String json = new String(call.body(), StandardCharsets.UTF_8);
        if (!json.contains("\"contentBytes\"")) {
            error(ex, 400, "ErrorInvalidRequest", "A fileAttachment needs name and contentBytes.");
            return;
        }
        jsonAttachments(json, draft);
        respond(ex, 201, "{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"id\":\"" + UUID.randomUUID()
                + "\"}");
    }

    /**
     * https://learn.microsoft.com/en-us/graph/api/mailfolder-get : GET /me/mailFolders/{id} (a well-known name such as
     * inbox) answers the folder with totalItemCount; Mail.ReadBasic, Mail.Read or Mail.ReadWrite.
     */
    private void mailFolder(HttpExchange ex, String folder) throws IOException {
        String user = authorize(ex, "Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite");
        if (user == null) {
            return;
        }
        long count;
        synchronized (log) {
            count = log.stream().filter(m -> m.owner.equals(user) && m.folder.equalsIgnoreCase(folder)
                    && messages.get(m.id) == m).count();
        }
        respond(ex, 200, "{\"id\":\"" + json(folder) + "\",\"displayName\":\"" + json(folder)
                + "\",\"totalItemCount\":" + count + "}");
    }

    /**
     * A sent message lands in the Inbox of each recipient of this server's domain (read there by message-delta and
     * $value), as it lands in Dovecot's mailbox.
     */
    private void toInboxes(Message sent, List<String> rcpt) throws IOException {
        Path copy = null;
        for (String r : new LinkedHashSet<>(rcpt)) {
            String lower = r.toLowerCase();
            if (lower.endsWith("@" + MailServers.DOMAIN)) {
                if (copy == null) {
                    copy = dir.resolve(UUID.randomUUID() + ".eml");
                    try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(copy), 64 * 1024)) {
                        recipientCopy(sent.mime, o, false);
                    }
                }
                keep(new Message(UUID.randomUUID().toString(), lower.substring(0, lower.indexOf('@')), "inbox",
                        sequence.incrementAndGet(), copy, List.of(), List.of()));
            }
        }
    }

    /** The body, or null once it answered 413 for a body over 4 MB (Graph's request limit). */
    /** The caller and the request body, or null once the refusal (401/403/413) has been answered. */
    private record Authorized(String user, byte[] body) {
    }

    private Authorized authorizedBody(HttpExchange ex, String... scopes) throws IOException {
        String user = authorize(ex, scopes);
        if (user == null) {
            return null;
        }
        byte[] body = readLimited(ex);
        return body == null ? null : new Authorized(user, body);
    }

    private byte[] readLimited(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes((int) MAX_REQUEST + 1);
            if (b.length > MAX_REQUEST) {
                in.transferTo(OutputStream.nullOutputStream());
                error(ex, 413, "RequestEntityTooLarge", "The maximum request length supported is 4MB.");
                return null;
            }
            return b;
        }
    }

    private static long copy(InputStream in, OutputStream out, long max) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long n = 0;
        int r;
        while (n < max && (r = in.read(buf, 0, (int) Math.min(buf.length, max - n))) > 0) {
            out.write(buf, 0, r);
            n += r;
        }
        in.transferTo(OutputStream.nullOutputStream());
        return n;
    }

    /** The first 64 KB of a message: where its headers are. */
    private static byte[] head(Path mime) throws IOException {
        try (InputStream in = Files.newInputStream(mime)) {
            return in.readNBytes(64 * 1024);
        }
    }

    /** A header's unfolded value from the start of a MIME message. */
    static String header(byte[] mime, String name) {
        String text = new String(mime, 0, Math.min(mime.length, 64 * 1024), StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            end = text.indexOf("\n\n");
        }
        for (String h : (end < 0 ? text : text.substring(0, end)).split("\r?\n(?![ \t])")) {
            if (h.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                return h.substring(name.length() + 1).replaceAll("\r?\n[ \t]+", " ").trim();
            }
        }
        return null;
    }

    /** A string member of a small JSON object (the first one of that name): Envoi's tests need no more. */
    static String string(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        return m.find() ? m.group(1).replace("\\/", "/").replace("\\\"", "\"") : null;
    }

    private static String json(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new java.util.HashMap<>();
        if (raw != null) {
            for (String p : raw.split("&")) {
                int i = p.indexOf('=');
                if (i > 0) {
                    q.put(java.net.URLDecoder.decode(p.substring(0, i), StandardCharsets.UTF_8),
                            java.net.URLDecoder.decode(p.substring(i + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        respond(ex, status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + json(message)
                + "\",\"innerError\":{\"date\":\"" + Instant.now() + "\",\"request-id\":\"" + UUID.randomUUID()
                + "\"}}}");
    }

    private static void respond(HttpExchange ex, int status, String json) throws IOException {
        // read what the client still sends (a refused 4 MB chunk), so it gets the answer instead of a reset
        try {
            ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // already read and closed
        }
        if (json == null) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
