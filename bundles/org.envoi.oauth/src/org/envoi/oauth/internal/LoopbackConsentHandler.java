package org.envoi.oauth.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;

/**
 * System browser + one-shot listener on the loopback address of the redirect URI (RFC 8252): {@code 127.0.0.1} (or
 * the literal 127.x address given), {@code [::1]} on IPv6, {@code localhost} on both where IPv6 is there, since a
 * browser may resolve it to either. On the flow's fixed port or a free one; accepts exactly one answer with the
 * expected {@code state}, shows a short "you can close this tab" page, and releases the port. A request with a missing
 * or foreign {@code state} (any local program or web page can send one) is answered 400 and the listener keeps
 * waiting for the right answer until the time limit, so such a request cannot cancel a sign-in.
 */
public class LoopbackConsentHandler implements ConsentHandler {

    private static final Logger LOG = System.getLogger(LoopbackConsentHandler.class.getName());
    private static final int MAX_REQUEST = 16 * 1024;
    /** How long a connection may take to send its request line before it is dropped. */
    private static final Duration REQUEST_TIME = Duration.ofSeconds(10);
    private static final int FREE_PORT_TRIES = 20;

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
            if (!"http".equalsIgnoreCase(r.getScheme()) || r.getHost() == null) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "redirectUri", "The browser sign-in needs a"
                        + " loopback redirect URI such as http://127.0.0.1:3017/, not " + r, null);
            }
            host = r.getHost();
            port = Math.max(0, r.getPort());
            path = r.getPath() == null || r.getPath().isEmpty() ? "/" : r.getPath();
        }
        List<ServerSocketChannel> listeners = bind(addressesOf(host), port);
        URI redirect = URI.create("http://" + host + ":" + listeners.get(0).socket().getLocalPort() + path);
        return new Session(listeners, redirect, path);
    }

    /** Where the browser may connect for this redirect host; never a non-loopback address. */
    private static List<InetAddress> addressesOf(String host) throws IOException {
        InetAddress v4 = InetAddress.getByAddress("127.0.0.1", new byte[] { 127, 0, 0, 1 });
        InetAddress v6 = InetAddress.getByAddress("::1", new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                1 });
        if (host.equalsIgnoreCase("localhost")) {
            return ipv6Loopback(v6) ? List.of(v4, v6) : List.of(v4);
        }
        boolean literal = host.startsWith("[") || host.matches("[0-9.]+");
        if (literal) {
            InetAddress a = InetAddress.getByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
            if (a.isLoopbackAddress()) {
                return List.of(a);
            }
        }
        // a name or address that is not loopback: the listener still never leaves this machine
        return List.of(v4);
    }

    private static boolean ipv6Loopback(InetAddress v6) {
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress(v6, 0), 1);
            return true;
        } catch (IOException | RuntimeException e) {
            return false; // no IPv6 on this machine: localhost can only be 127.0.0.1
        }
    }

    /** One listener per address, all on the same port: the fixed one, or a free port free on every address. */
    private static List<ServerSocketChannel> bind(List<InetAddress> addresses, int port) throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<ServerSocketChannel> bound = new ArrayList<>();
            int p = port;
            try {
                for (InetAddress a : addresses) {
                    ServerSocketChannel ch = ServerSocketChannel.open();
                    bound.add(ch);
                    ch.bind(new InetSocketAddress(a, p), 4);
                    p = ch.socket().getLocalPort();
                }
                return bound;
            } catch (IOException e) {
                for (ServerSocketChannel ch : bound) {
                    ch.close();
                }
                // a free port on 127.0.0.1 may be taken on ::1: pick another
                if (port == 0 && attempt < FREE_PORT_TRIES) {
                    continue;
                }
                String where = addresses.get(Math.max(0, Math.min(bound.size(), addresses.size()) - 1))
                        .getHostAddress();
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "Port " + (port == 0 ? p : port) + " on "
                        + where + " is busy, so the browser cannot hand the sign-in back to Envoi: close the program"
                        + " using it or change the flow's redirect URI.", e);
            }
        }
    }

    /** A connection whose request line is being read. */
    private static final class Pending {
        final ByteBuffer head = ByteBuffer.allocate(MAX_REQUEST);
        final Instant until;

        Pending(Instant until) {
            this.until = until;
        }

        boolean complete() {
            int n = head.position();
            return !head.hasRemaining() || n >= 4 && head.get(n - 4) == '\r' && head.get(n - 3) == '\n'
                    && head.get(n - 2) == '\r' && head.get(n - 1) == '\n';
        }
    }

    private final class Session implements ConsentSession {
        private final List<ServerSocketChannel> listeners;
        private final URI redirect;
        private final String path;
        /** Requests on the redirect path with a missing or foreign state, for the time-out's sentence. */
        private int refused;

        Session(List<ServerSocketChannel> listeners, URI redirect, String path) {
            this.listeners = listeners;
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
            // one selector for the listeners and every open connection: a connection that sends nothing (a browser's
            // preconnect, a stray program) never holds up the browser's real answer
            try (Selector selector = Selector.open()) {
                for (ServerSocketChannel l : listeners) {
                    l.configureBlocking(false);
                    l.register(selector, SelectionKey.OP_ACCEPT);
                }
                browser.accept(authorizationUrl);
                try {
                    while (true) {
                        Instant now = Instant.now();
                        long left = Duration.between(now, deadline).toMillis();
                        if (left <= 0) {
                            throw new EnvoiException(ErrorCode.OAUTH_FAILED, "No answer came back from the browser"
                                    + " within " + TimeLimit.describe(timeout) + (refused == 0 ? "" : " (" + refused
                                            + (refused == 1 ? " request" : " requests") + " with a missing or foreign"
                                            + " state refused: a stale or forged redirect)") + ": sign in again.");
                        }
                        selector.select(Math.min(left, 1000));
                        for (var it = selector.selectedKeys().iterator(); it.hasNext();) {
                            SelectionKey key = it.next();
                            it.remove();
                            if (!key.isValid()) {
                                continue;
                            }
                            if (key.isAcceptable()) {
                                SocketChannel c = ((ServerSocketChannel) key.channel()).accept();
                                if (c != null) {
                                    c.configureBlocking(false);
                                    c.register(selector, SelectionKey.OP_READ, new Pending(now.plus(REQUEST_TIME)));
                                }
                            } else {
                                AuthorizationResponse answer = read((SocketChannel) key.channel(),
                                        (Pending) key.attachment(), expectedState);
                                if (answer != null) {
                                    return answer;
                                }
                            }
                        }
                        for (SelectionKey key : selector.keys()) {
                            if (key.attachment() instanceof Pending p && now.isAfter(p.until)) {
                                key.channel().close();
                            }
                        }
                    }
                } finally {
                    for (SelectionKey key : selector.keys()) {
                        if (key.channel() instanceof SocketChannel c) {
                            c.close();
                        }
                    }
                }
            } catch (IOException e) {
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "The sign-in listener failed: "
                        + e.getClass().getSimpleName() + ". Sign in again.", e);
            } finally {
                close();
            }
        }

        /** Reads what has come on a connection; once its request is whole, answers it (see below). */
        private AuthorizationResponse read(SocketChannel c, Pending p, String expectedState) throws IOException {
            int n;
            try {
                n = c.read(p.head);
            } catch (IOException e) {
                n = -1;
            }
            if (n == -1 && p.head.position() == 0) {
                c.close();
                return null;
            }
            return n == -1 || p.complete() ? answer(c, p, expectedState) : null;
        }

        /**
         * Answers one request and closes its connection: the sign-in's answer when it carries the expected state,
         * else null (another path: 404; a missing or foreign state: 400, counted in {@link #refused}).
         */
        private AuthorizationResponse answer(SocketChannel c, Pending p, String expectedState) {
            try (c) {
                URI target = target(p.head);
                if (target == null || !path.equals(target.getPath())) {
                    respond(c, 404, "Not found", "This is Envoi's sign-in listener.");
                    return null;
                }
                Map<String, String> q = RedirectQuery.parse(target.getRawQuery());
                if (!expectedState.equals(q.get("state"))) {
                    respond(c, 400, "Refused", "This answer does not belong to the sign-in Envoi is waiting for."
                            + " If you are signing in, finish in the browser tab Envoi opened.");
                    refused++;
                    LOG.log(Level.WARNING, "Envoi's sign-in listener refused a request with a "
                            + (q.containsKey("state") ? "foreign" : "missing") + " state (a stale or forged"
                            + " redirect); still waiting for the browser's answer");
                    return null;
                }
                AuthorizationResponse r = RedirectQuery.toResponse(q);
                respond(c, 200, "OK", r.error().isPresent()
                        ? "The sign-in did not complete. You can close this tab and go back to Envoi."
                        : "Signed in. You can close this tab and go back to Envoi.");
                return r;
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing a connection to the sign-in listener", e);
                return null;
            }
        }

        @Override
        public void close() {
            for (ServerSocketChannel l : listeners) {
                try {
                    l.close();
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "closing the loopback listener", e);
                }
            }
        }
    }

    /** The request target of an HTTP/1.x request line, or null when it is not one. */
    private static URI target(ByteBuffer head) {
        String text = new String(head.array(), 0, head.position(), StandardCharsets.ISO_8859_1);
        String first = text.lines().findFirst().orElse("");
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

    /** Best effort: a peer that went away gets no page, and that changes nothing for the sign-in. */
    private static void respond(SocketChannel c, int status, String reason, String message) {
        String html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Envoi</title></head>"
                + "<body style=\"font-family:sans-serif;margin:3em\"><h1>Envoi</h1><p>" + message + "</p></body></html>";
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        String headers = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/html; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
        ByteBuffer out = ByteBuffer.allocate(headers.length() + body.length);
        out.put(headers.getBytes(StandardCharsets.ISO_8859_1)).put(body).flip();
        // under 1 KB into a fresh connection's send buffer (4 KB at the least): a non-blocking write takes it whole
        try {
            c.write(out);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "the sign-in listener's page could not be sent", e);
        }
    }
}
