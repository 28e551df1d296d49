package org.envoi.oauth.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;

/**
 * System browser + one-shot listener on 127.0.0.1 (RFC 8252): bound only to the loopback address, on the flow's
 * fixed port or a free one, accepts exactly one answer with the expected {@code state}, shows a short "you can close
 * this tab" page, and releases the port.
 */
public class LoopbackConsentHandler implements ConsentHandler {

    private static final Logger LOG = System.getLogger(LoopbackConsentHandler.class.getName());
    private static final int MAX_REQUEST = 16 * 1024;

    private final Consumer<URI> browser;

    /** @param browser opens a URL for the operator (the system browser; a test's user agent) */
    public LoopbackConsentHandler(Consumer<URI> browser) {
        this.browser = browser;
    }

    @Override
    public ConsentSession open(Optional<URI> requested) throws IOException {
        String host = "127.0.0.1";
        String path = "/";
        int port = 0;
        if (requested.isPresent()) {
            URI r = requested.get();
            if (!"http".equalsIgnoreCase(r.getScheme())) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "redirectUri", "The browser sign-in needs a"
                        + " loopback redirect URI such as http://127.0.0.1:3017/, not " + r, null);
            }
            host = r.getHost();
            port = Math.max(0, r.getPort());
            path = r.getPath() == null || r.getPath().isEmpty() ? "/" : r.getPath();
        }
        ServerSocket server = new ServerSocket();
        try {
            server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1);
        } catch (IOException e) {
            server.close();
            throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "Port " + port + " on 127.0.0.1 is busy, so the"
                    + " browser cannot hand the sign-in back to Envoi: close the program using it or change the"
                    + " flow's redirect URI.", e);
        }
        URI redirect = URI.create("http://" + host + ":" + server.getLocalPort() + path);
        return new Session(server, redirect, path);
    }

    private final class Session implements ConsentSession {
        private final ServerSocket server;
        private final URI redirect;
        private final String path;

        Session(ServerSocket server, URI redirect, String path) {
            this.server = server;
            this.redirect = redirect;
            this.path = path;
        }

        @Override
        public URI redirectUri() {
            return redirect;
        }

        @Override
        public AuthorizationResponse await(URI authorizationUrl, String expectedState, Duration timeout) {
            Instant deadline = Instant.now().plus(timeout);
            browser.accept(authorizationUrl);
            try {
                while (true) {
                    long left = Duration.between(Instant.now(), deadline).toMillis();
                    if (left <= 0) {
                        throw new EnvoiException(ErrorCode.OAUTH_FAILED, "No answer came back from the browser within "
                                + timeout.toSeconds() + " s: sign in again.");
                    }
                    server.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(10_000);
                        URI target = readTarget(s.getInputStream());
                        if (target == null || !path.equals(target.getPath())) {
                            respond(s.getOutputStream(), 404, "Not found", "This is Envoi's sign-in listener.");
                            continue;
                        }
                        Map<String, String> q = RedirectQuery.parse(target.getRawQuery());
                        if (!expectedState.equals(q.get("state"))) {
                            respond(s.getOutputStream(), 400, "Refused", "This answer does not belong to the"
                                    + " sign-in Envoi started. Start the sign-in again from Envoi.");
                            throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The browser brought back an answer"
                                    + " with a foreign state (a forged or stale redirect): nothing was stored; sign in"
                                    + " again.");
                        }
                        AuthorizationResponse r = RedirectQuery.toResponse(q);
                        respond(s.getOutputStream(), 200, "OK", r.error().isPresent()
                                ? "The sign-in did not complete. You can close this tab and go back to Envoi."
                                : "Signed in. You can close this tab and go back to Envoi.");
                        return r;
                    } catch (SocketTimeoutException e) {
                        // loop: the deadline check above ends the wait
                    }
                }
            } catch (IOException e) {
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "The sign-in listener failed: "
                        + e.getClass().getSimpleName() + ". Sign in again.", e);
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing the loopback listener", e);
            }
        }
    }

    /** The request target of an HTTP/1.x request line, or null when it is not one. */
    private static URI readTarget(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        int last4 = 0;
        while ((b = in.read()) != -1 && head.size() < MAX_REQUEST) {
            head.write(b);
            last4 = (last4 << 8) | b;
            if (last4 == 0x0D0A0D0A) {
                break;
            }
        }
        String first = head.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
        String[] parts = first.split(" ");
        if (parts.length < 3 || !(parts[0].equals("GET") || parts[0].equals("POST"))) {
            return null;
        }
        try {
            return URI.create(parts[1]);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void respond(OutputStream out, int status, String reason, String message) throws IOException {
        String html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Envoi</title></head>"
                + "<body style=\"font-family:sans-serif;margin:3em\"><h1>Envoi</h1><p>" + message + "</p></body></html>";
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        String headers = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/html; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
        out.write(headers.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }
}
