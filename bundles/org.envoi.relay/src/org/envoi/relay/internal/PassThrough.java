package org.envoi.relay.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailRoutes;

/**
 * What the IMAP and POP3 pass-through share: the listener and its threads, the local login (checked before anything
 * reaches the mailbox server, a wrong one delayed), the operator's route, and, once the mailbox server has taken the
 * operator's token, the bytes copied both ways untouched until either side closes.
 */
abstract class PassThrough implements MailRelay.Listener {

    private static final Logger LOG = Logger.getLogger(PassThrough.class.getName());
    /** Before the login: an ERP that connects and says nothing is let go after this. */
    static final int LOGIN_TIMEOUT_MS = 5 * 60_000;

    private final MailRelay.Protocol protocol;
    private final ServerSocket server;
    final Optional<RelayTls> tls;
    /** Off the loopback address nothing is said before STARTTLS / STLS. */
    final boolean tlsRequired;
    private final RelayServices services;
    private final MailRoutes routes;
    private final LoginDelays delays = new LoginDelays();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads;
    private volatile boolean closed;

    PassThrough(MailRelay.Listen what, RelayServices services, MailRoutes routes, Optional<RelayTls> tls) {
        this.protocol = what.protocol();
        this.services = services;
        this.routes = routes;
        this.tls = tls;
        this.tlsRequired = !what.address().getAddress().isLoopbackAddress();
        AtomicInteger n = new AtomicInteger();
        String name = "envoi-relay-" + protocol.name().toLowerCase(java.util.Locale.ROOT) + "-";
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, name + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ServerSocket s = null;
        try {
            s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(what.address(), 50);
        } catch (IOException e) {
            threads.shutdown();
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // it did not open
                }
            }
            throw RelayServices.bindFailed(protocol.name(), what.address(), e);
        }
        this.server = s;
        threads.execute(this::acceptLoop);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "Envoi relay: the " + protocol + " listener stopped: " + e.getMessage(), e);
                }
                return;
            }
            open.add(s);
            try {
                threads.execute(() -> session(s));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                quietly(s);
            }
        }
    }

    private void session(Socket socket) {
        Wire client = null;
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(LOGIN_TIMEOUT_MS);
            client = new Wire(socket);
            Joined joined = serve(client);
            if (joined != null) {
                accepted.incrementAndGet();
                client = joined.client();
                pump(joined.client(), joined.upstream());
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                LOG.log(Level.FINE, "Envoi relay: a " + protocol + " session ended: " + e.getMessage(), e);
            }
        } finally {
            if (client != null) {
                open.remove(client.socket);
                quietly(client.socket);
            }
            open.remove(socket);
            quietly(socket);
        }
    }

    /** A client logged in at the mailbox server: the client's side (over TLS after STARTTLS) and the server's. */
    record Joined(Wire client, Wire upstream) {
    }

    /**
     * Speaks the protocol with the client until it is logged in at the mailbox server (then returns both sides, the
     * client told of the success) or leaves (then null).
     */
    abstract Joined serve(Wire client) throws IOException;

    /** The bytes both ways, untouched, until either side closes; then both are closed. */
    private void pump(Wire client, Wire upstream) {
        open.add(client.socket);
        open.add(upstream.socket);
        try {
            // IDLE may keep a session quiet for half an hour: the mailbox server decides when it is too long
            client.socket.setSoTimeout(0);
            upstream.socket.setSoTimeout(0);
            client.socket.setKeepAlive(true);
            upstream.socket.setKeepAlive(true);
        } catch (SocketException e) {
            // a socket already closed ends the copies at once
        }
        java.util.concurrent.Future<?> back = threads.submit(() -> copy(upstream.in, client.out, client, upstream));
        copy(client.in, upstream.out, client, upstream);
        try {
            back.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // the copy closed both sides already
        } finally {
            open.remove(upstream.socket);
        }
    }

    private static void copy(InputStream from, OutputStream to, Wire a, Wire b) {
        byte[] buf = new byte[32 * 1024];
        try {
            for (int n; (n = from.read(buf)) >= 0;) {
                to.write(buf, 0, n);
                if (from.available() == 0) {
                    to.flush();
                }
            }
            to.flush();
        } catch (IOException e) {
            // either side went away
        } finally {
            quietly(a.socket);
            quietly(b.socket);
        }
    }

    /** A login the client gave: whose it is, or empty after the refusal's delay (counted). */
    Optional<String> check(Wire client, String user, char[] password) {
        String from = client.socket.getInetAddress().getHostAddress();
        Optional<String> operator = services.users().check(user, password);
        if (operator.isPresent()) {
            delays.succeeded(from);
            return operator;
        }
        refused.incrementAndGet();
        LOG.info("Envoi relay: " + protocol + " login refused for user '" + printable(user) + "' from " + from);
        delays.failed(from);
        return Optional.empty();
    }

    /** The operator's route and the flow's server for this protocol. */
    record Target(MailRoute route, MailServer server) {
    }

    /**
     * @throws EnvoiException NO_FLOW_FOR_OPERATOR, INVALID_FLOW_DATA (the flow has no server for this protocol), with
     *         a sentence for the client
     */
    Target target(String operatorId) {
        String flowId = services.operators().flowOf(operatorId).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "Operator '" + operatorId + "' is attached to no flow: ask the"
                        + " administrator to attach it.", null));
        MailRoute route = routes.route(flowId, operatorId);
        Flow flow = route.flow();
        Optional<MailServer> server = protocol == MailRelay.Protocol.IMAP ? flow.imap() : flow.pop();
        String name = protocol == MailRelay.Protocol.IMAP ? "imap" : "pop";
        return new Target(route, server.orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA, name,
                "The flow '" + flow.name() + "' of operator '" + operatorId + "' has no " + protocol + " server: ask"
                        + " the administrator to set one.", null)));
    }

    /** The sentence the client reads when the operator's sign-in cannot be used: who must do what. */
    static String consentRequired(MailRoute route) {
        return "Envoi cannot log in to the mailbox of operator '" + route.operatorId() + "' (flow '" + route.flow()
                .id() + "'): consent is required, the operator must sign in again: envoi authorize --operator "
                + route.operatorId();
    }

    /** Why the mailbox server's refusal is not the client's fault, and who must act. */
    static String refusal(MailRoute route) {
        return route.flow().type() == org.envoi.api.flow.FlowType.OAUTH2 ? consentRequired(route)
                : "The mailbox server refused the password of flow '" + route.flow().id() + "': the administrator"
                        + " must correct it in the flow.";
    }

    /**
     * Logs in with {@code first} (the route's current login, had before the server is contacted: without a sign-in
     * nothing reaches it); a refused bearer token is handed back once and the fresh one tried.
     *
     * @return the success, or null when the server refused
     */
    static <T> T withRenewal(MailRoute route, MailLogin first, UpstreamLogin<T> attempt) throws IOException {
        Optional<T> ok = attempt.login(first);
        if (ok.isPresent() || !(first instanceof MailLogin.Bearer)) {
            return ok.orElse(null);
        }
        route.logins().rejected(first);
        return attempt.login(route.logins().current()).orElse(null);
    }

    @FunctionalInterface
    interface UpstreamLogin<T> {
        /** @return the success, or empty when the server refused the login */
        Optional<T> login(MailLogin login) throws IOException;
    }

    /** How a protocol words the outcomes of a login: each a whole reply line (IMAP's tag included). */
    interface LoginReplies<T> {
        /** The local user name or password is wrong. */
        String badLocalLogin();

        /** The mailbox server refused the operator's login (the renewed token too); {@code why} says who must act. */
        String upstreamRefused(String why);

        /** The operator's login could not be had: consent is required, or the flow is not set for it. */
        String notOpened(boolean consentRequired, String why);

        /** The mailbox server cannot be reached. */
        String unreachable(String why);

        /** Hands the server's acceptance to the client. */
        void succeeded(Wire client, T accepted) throws IOException;
    }

    @FunctionalInterface
    interface Opener {
        /** A connection to the server, its greeting read and TLS started as the flow says. */
        Wire open(MailServer server) throws IOException;
    }

    @FunctionalInterface
    interface Authentication<T> {
        /** @return the server's acceptance, or empty when it refused the login */
        Optional<T> authenticate(Wire up, MailLogin login) throws IOException;
    }

    /**
     * The client's local login, then the mailbox server's with the operator's login (a refused token renewed once),
     * each attempt on a connection of its own: a server may hang up after refusing a token.
     *
     * @return the server's connection, logged in; null when the client was refused (and told why)
     */
    <T> Wire logIn(Wire client, String user, String password, Opener opener, Authentication<T> authentication,
            LoginReplies<T> replies) throws IOException {
        Optional<String> operator = check(client, user, password.toCharArray());
        if (operator.isEmpty()) {
            client.send(replies.badLocalLogin());
            return null;
        }
        Target target = null;
        Wire[] up = { null };
        try {
            target = target(operator.get());
            MailLogin first = target.route().logins().current();
            MailServer server = target.server();
            T accepted = withRenewal(target.route(), first, login -> {
                if (up[0] != null) {
                    quietly(up[0].socket);
                }
                up[0] = opener.open(server);
                return authentication.authenticate(up[0], login);
            });
            if (accepted == null) {
                quietly(up[0].socket);
                client.send(replies.upstreamRefused(printable(refusal(target.route()))));
                return null;
            }
            replies.succeeded(client, accepted);
            return up[0];
        } catch (EnvoiException e) {
            if (up[0] != null) {
                quietly(up[0].socket);
            }
            boolean consent = e.code() == ErrorCode.CONSENT_REQUIRED;
            String why = consent && target != null ? consentRequired(target.route()) : e.getMessage();
            LOG.warning("Envoi relay: " + protocol + " session of operator '" + operator.get() + "' not opened: "
                    + why);
            client.send(replies.notOpened(consent, printable(why)));
            return null;
        } catch (IOException e) {
            if (up[0] != null) {
                quietly(up[0].socket);
            }
            LOG.log(Level.WARNING, "Envoi relay: the " + protocol + " server of operator '" + operator.get()
                    + "' cannot be reached: " + e.getMessage(), e);
            client.send(replies.unreachable(printable(e.getMessage())));
            return null;
        }
    }

    /** The SASL initial response of a bearer token, base64. */
    static String bearerResponse(MailLogin.Bearer b) {
        String raw = switch (b.mechanism()) {
            case XOAUTH2 -> "user=" + b.user() + "\u0001auth=Bearer " + b.token() + "\u0001\u0001";
            case OAUTHBEARER -> "n,a=" + b.user().replace("=", "=3D").replace(",", "=2C") + ",\u0001auth=Bearer "
                    + b.token() + "\u0001\u0001";
        };
        return java.util.Base64.getEncoder().encodeToString(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** What a client answers to the server's error challenge after a refused bearer token, to hear the refusal. */
    static String challengeAnswer(MailLogin.Bearer b) {
        return b.mechanism() == MailLogin.Mechanism.OAUTHBEARER ? "AQ==" : "";
    }

    /** A line the client may see: no line breaks, printable. */
    static String printable(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n\\p{Cntrl}]", " ");
    }

    static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public MailRelay.Protocol protocol() {
        return protocol;
    }

    @Override
    public InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    @Override
    public String certificateFingerprint() {
        return tls.map(t -> t.fingerprint).orElse("");
    }

    @Override
    public long accepted() {
        return accepted.get();
    }

    @Override
    public long refused() {
        return refused.get();
    }

    /** Stops listening and ends every session (a pass-through holds nothing half-done: the client reconnects). */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closed anyway
        }
        for (Socket s : open) {
            quietly(s);
        }
        threads.shutdownNow();
        // the port is free once close returns: a socket closed while a thread waits in accept is released only when
        // that thread has left it (CI saw a relay started anew on the port fail with "Address already in use")
        try {
            threads.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
