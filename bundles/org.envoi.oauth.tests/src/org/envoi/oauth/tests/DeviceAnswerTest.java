package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device answers that no server of ours produces but real providers do: Google names the address
 * {@code verification_url}, and a broken or foreign endpoint may leave it out. The peer is a tiny HTTP server on
 * 127.0.0.1 that gives one canned answer per path (a contract peer for a malformed answer).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeviceAnswerTest {

    @TempDir
    Path temp;

    /** Answers every request with the body given for its path; 404 for any other path. */
    private static final class CannedEndpoint implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;

        CannedEndpoint(Map<String, String> jsonByPath) throws IOException {
            socket = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.1"));
            thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        String path = requestPath(s.getInputStream());
                        String body = jsonByPath.get(path);
                        String status = body == null ? "404 Not Found" : body.contains("\"error\"")
                                ? "400 Bad Request" : "200 OK";
                        byte[] b = (body == null ? "{}" : body).getBytes(StandardCharsets.UTF_8);
                        OutputStream out = s.getOutputStream();
                        out.write(("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: "
                                + b.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(b);
                        out.flush();
                    } catch (IOException e) {
                        // closed, or a client that went away: next one
                    }
                }
            }, "canned-endpoint");
            thread.setDaemon(true);
            thread.start();
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + path);
        }

        /** Reads the head and a Content-Length body, returns the request's path. */
        private static String requestPath(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int last4 = 0;
            int b;
            while ((b = in.read()) != -1) {
                head.write(b);
                last4 = (last4 << 8) | b;
                if (last4 == 0x0D0A0D0A) {
                    break;
                }
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int length = text.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                    .mapToInt(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElse(0);
            in.readNBytes(length);
            String[] first = text.lines().findFirst().orElse("").split(" ");
            return first.length > 1 ? URI.create(first[1]).getPath() : "";
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private OAuthEngine engine() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new OAuthEngine(new FileTokenVault(temp.resolve("vault"), key, "test key"), id -> Optional.empty(),
                new OAuthOptions(Duration.ofSeconds(60), Duration.ofSeconds(5), 1, Duration.ofMillis(10),
                        Duration.ofMillis(10)), new MutableClock(), d -> {
                        });
    }

    private static OAuthClient client(CannedEndpoint peer) {
        return new OAuthClient("device-flow", "custom", peer.uri("/authorize"), peer.uri("/token"),
                Optional.of(peer.uri("/device")), "envoi-device", false, List.of("openid"), Optional.empty(),
                Map.of());
    }

    @Test
    void aDeviceAnswerWithoutAVerificationAddressIsANamedError() throws Exception {
        try (CannedEndpoint peer = new CannedEndpoint(Map.of("/device", "{\"device_code\":\"dc-1\","
                + "\"user_code\":\"ABCD-EFGH\",\"expires_in\":600,\"interval\":5}"))) {
            EnvoiException e = assertThrows(EnvoiException.class, () -> engine().authorizeWithDeviceCode(
                    client(peer), "alice", (userCode, uri, complete, expires) -> {
                        throw new AssertionError("nothing to show without an address");
                    }, Duration.ofMinutes(1)));
            assertEquals(ErrorCode.OAUTH_FAILED, e.code());
            assertTrue(e.getMessage().contains("verification_uri"), e.getMessage());
        }
    }

    @Test
    void aDeviceAnswerWithoutACodeIsANamedError() throws Exception {
        try (CannedEndpoint peer = new CannedEndpoint(Map.of("/device", "{\"verification_uri\":"
                + "\"https://example.test/device\",\"expires_in\":600}"))) {
            EnvoiException e = assertThrows(EnvoiException.class, () -> engine().authorizeWithDeviceCode(
                    client(peer), "alice", (userCode, uri, complete, expires) -> {
                        throw new AssertionError("nothing to show without a code");
                    }, Duration.ofMinutes(1)));
            assertEquals(ErrorCode.OAUTH_FAILED, e.code());
            assertTrue(e.getMessage().contains("device_code"), e.getMessage());
        }
    }

    @Test
    void googlesVerificationUrlIsShown() throws Exception {
        try (CannedEndpoint peer = new CannedEndpoint(Map.of("/device", "{\"device_code\":\"dc-2\","
                + "\"user_code\":\"GQVQ-JKEC\",\"verification_url\":\"https://www.google.com/device\","
                + "\"expires_in\":1800,\"interval\":5}", "/token", "{\"error\":\"access_denied\"}"))) {
            AtomicReference<URI> shown = new AtomicReference<>();
            EnvoiException e = assertThrows(EnvoiException.class, () -> engine().authorizeWithDeviceCode(
                    client(peer), "alice", (userCode, uri, complete, expires) -> shown.set(uri),
                    Duration.ofMinutes(1)));
            assertEquals(URI.create("https://www.google.com/device"), shown.get());
            assertEquals(ErrorCode.CONSENT_REQUIRED, e.code(), "the refusal, read as such: " + e.getMessage());
        }
    }

    @Test
    void aRefusedScopeNamesTheScopesField() throws Exception {
        // Microsoft's reply to scopes of two resources in one request (a real one, 2026)
        String reply = "{\"error\":\"invalid_scope\",\"error_description\":\"AADSTS70011: The provided value for"
                + " the input parameter 'scope' is not valid. One or more scopes in 'offline_access"
                + " https://graph.microsoft.com/Mail.Read https://outlook.office.com/IMAP.AccessAsUser.All' are not"
                + " compatible with each other. Trace ID: 758eb861-1234-4db2-9b2d-686729e3f500\","
                + "\"error_codes\":[70011]}";
        try (CannedEndpoint peer = new CannedEndpoint(Map.of("/token", reply))) {
            EnvoiException e = assertThrows(EnvoiException.class, () -> engine().clientCredentials(client(peer)));
            assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code(), e.getMessage());
            assertEquals("scopes", e.field(), "the field to fix: " + e.getMessage());
        }
    }
}
