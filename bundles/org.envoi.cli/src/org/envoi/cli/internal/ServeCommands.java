package org.envoi.cli.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.relay.MailRelay.Protocol;
import org.envoi.api.relay.RelayUsers;
import org.osgi.framework.BundleContext;
import org.osgi.framework.launch.Framework;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code envoi serve}: the outbox served in the background and, when asked, the relay's listeners, until SIGTERM or
 * Ctrl-C; one per data folder (a lock in {@code <data>/run/serve.lock}); its state in {@code <data>/run/serve.json}
 * for {@code envoi serve --status}. And {@code envoi relay-user add|list|remove}.
 */
final class ServeCommands {

    private static final Logger LOG = Logger.getLogger(ServeCommands.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** {@code envoi serve --status} when no server runs on the data folder (LSB's "program is not running"). */
    static final int NOT_RUNNING = 3;

    private final BundleContext context;
    private final Path data;
    private final Outbox outbox;
    private final OutboxSenders senders;
    private final SignInKeeper keeper;

    ServeCommands(BundleContext context, Path data, Outbox outbox, OutboxSenders senders, SignInKeeper keeper) {
        this.context = context;
        this.data = data;
        this.outbox = outbox;
        this.senders = senders;
        this.keeper = keeper;
    }

    private <T> T service(Class<T> type) {
        var ref = context.getServiceReference(type);
        T s = ref == null ? null : context.getService(ref);
        if (s == null) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "relay", "The relay (bundle org.envoi.relay) is not"
                    + " running in this Envoi: install the command-line feature again, or see the log in " + data
                    + "/logs.", null);
        }
        return s;
    }

    int relayUser(List<String> args, PrintStream out, BufferedReader in) throws IOException {
        if (args.isEmpty()) {
            throw new Cli.Usage("relay-user needs a sub-command: add, list, remove");
        }
        Cli.Options o = new Cli.Options(args.subList(1, args.size()));
        RelayUsers users = service(RelayUsers.class);
        switch (args.get(0)) {
            case "add" -> {
                String operator = o.arg(0, "the operator ID");
                if (!o.flags.contains("--password-stdin")) {
                    throw new Cli.Usage("relay-user add reads the password from standard input: add --password-stdin"
                            + " (never on the command line, which other users can see)");
                }
                String line = in.readLine();
                if (line == null || line.isEmpty()) {
                    throw new Cli.Usage("the password was expected on standard input and none came");
                }
                users.set(operator, line.toCharArray());
                out.println("relay user " + operator + " saved: the ERP logs in as '" + operator
                        + "' with that password");
            }
            case "list" -> {
                List<RelayUsers.RelayUser> all = users.list();
                if (o.json()) {
                    ArrayNode a = JSON.createArrayNode();
                    all.forEach(u -> a.addObject().put("operator", u.operatorId()).put("passwordSet",
                            u.passwordSet().toString()));
                    out.println(JSON.writeValueAsString(a));
                } else {
                    all.forEach(u -> out.println(Printable.field(u.operatorId()) + "\t" + u.passwordSet()));
                }
            }
            case "remove" -> {
                String operator = o.arg(0, "the operator ID");
                if (!users.remove(operator)) {
                    throw new EnvoiException(ErrorCode.INVALID_INPUT, "operator", "No relay user '" + operator
                            + "' (envoi relay-user list shows them).", null);
                }
                out.println("relay user " + operator + " removed");
            }
            default -> throw new Cli.Usage("unknown relay-user sub-command '" + args.get(0) + "'");
        }
        return Cli.OK;
    }

    int serve(Cli.Options o, PrintStream out, PrintStream err) throws IOException {
        if (o.flags.contains("--status")) {
            return status(o, out);
        }
        Path run = Files.createDirectories(data.resolve("run"));
        FileChannel lockFile = FileChannel.open(run.resolve("serve.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockFile.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockFile.close();
            Optional<JsonNode> state = state();
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "serve", "An envoi serve already runs on " + data
                    + state.map(s -> " (pid " + s.path("pid").asText() + ", since " + s.path("started").asText() + ")")
                            .orElse("") + ": stop it first, or give this one another data folder.", null);
        }
        List<MailRelay.Listener> listeners = new ArrayList<>();
        try {
            for (Protocol p : Protocol.values()) {
                String option = "--" + (p == Protocol.POP3 ? "pop" : p.name().toLowerCase(java.util.Locale.ROOT));
                Optional<String> where = o.get(option);
                if (where.isPresent()) {
                    listeners.add(service(MailRelay.class).listen(new MailRelay.Listen(p, address(where.get(),
                            option),
                            o.flags.contains("--allow-remote"), !o.flags.contains("--no-tls"),
                            o.get("--tls-cert").map(Path::of), o.get("--tls-key").map(Path::of))));
                }
            }
        } catch (RuntimeException e) {
            listeners.forEach(MailRelay.Listener::close);
            lock.release();
            lockFile.close();
            throw e;
        }
        Instant started = Instant.now();
        writeState(started, listeners, null);
        senders.wake(); // this process serves the outbox from now on
        // every stored sign-in refreshed well before its provider's inactivity limit (README, Sign-ins kept alive)
        SignInKeepAlive keepAlive = SignInKeepAlive.start(keeper, SignInKeepAlive.EVERY);
        out.println("Envoi serves " + data + " (pid " + ProcessHandle.current().pid() + "): the outbox is sent from"
                + " this process; its log is " + data.resolve("logs/serve.log") + ".");
        for (MailRelay.Listener l : listeners) {
            out.println(l.protocol() + " relay on " + l.address().getAddress().getHostAddress() + ":"
                    + l.address().getPort() + (l.certificateFingerprint().isEmpty() ? " (no TLS)"
                            : " (TLS certificate SHA-256 " + l.certificateFingerprint() + ")"));
        }
        out.println("Sign-ins are refreshed before their provider's inactivity limit (envoi status says whose lapse"
                + " soon).");
        out.println("Stop it with Ctrl-C or SIGTERM (systemctl stop envoi): the mail on the wire finishes or goes back"
                + " to the queue.");
        out.flush();
        LOG.info("envoi serve started on " + data + " with " + listeners.size() + " relay listener(s)");
        ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "envoi-serve-state");
            t.setDaemon(true);
            return t;
        });
        ticks.scheduleWithFixedDelay(() -> {
            try {
                writeState(started, listeners, null);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "envoi serve could not write its state file", e);
            }
        }, 10, 10, TimeUnit.SECONDS);
        CountDownLatch stopped = new CountDownLatch(1);
        FileLock held = lock;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ticks.shutdownNow();
            keepAlive.close(); // a refresh under way finishes: its rotated refresh token is stored
            listeners.forEach(MailRelay.Listener::close);
            // the framework's stop deactivates the outbox sender: the mail on the wire finishes, the rest of its
            // chunk goes back to the queue, its claims are released
            try {
                Framework framework = (Framework) context.getBundle(0);
                framework.stop();
                framework.waitForStop(60_000);
            } catch (Exception | LinkageError e) {
                err.println("envoi serve: the framework did not stop cleanly: " + e);
            }
            try {
                writeState(started, listeners, Instant.now());
                held.release();
                lockFile.close();
            } catch (IOException | RuntimeException e) {
                // stopping anyway
            }
            err.println("envoi serve stopped.");
            err.flush();
            stopped.countDown();
        }, "envoi-serve-stop"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Cli.OK;
    }

    /** {@code HOST:PORT} (a bracketed IPv6 address too); the host is looked up now. */
    static InetSocketAddress address(String value, String option) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new Cli.Usage(option + " wants HOST:PORT, e.g. 127.0.0.1:2525 (got '" + value + "')");
        }
        String host = value.substring(0, colon).replaceAll("^\\[|\\]$", "");
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new Cli.Usage(option + " wants HOST:PORT with a number for the port (got '" + value + "')");
        }
        if (port < 0 || port > 65535) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, option + " port " + port + " is out of range"
                    + " (0-65535).", null);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, option + " host '" + host + "' is unknown: "
                    + e.getMessage(), e);
        }
    }

    private Path stateFile() {
        return data.resolve("run").resolve("serve.json");
    }

    private void writeState(Instant started, List<MailRelay.Listener> listeners, Instant stoppedAt)
            throws IOException {
        ObjectNode n = JSON.createObjectNode().put("pid", ProcessHandle.current().pid()).put("started",
                started.toString()).put("data", data.toString());
        if (stoppedAt != null) {
            n.put("stopped", stoppedAt.toString());
        }
        ArrayNode a = n.putArray("listeners");
        for (MailRelay.Listener l : listeners) {
            a.addObject().put("protocol", l.protocol().name()).put("address", l.address().getAddress()
                    .getHostAddress() + ":" + l.address().getPort()).put("tls", !l.certificateFingerprint().isEmpty())
                    .put("certificateSha256", l.certificateFingerprint()).put("accepted", l.accepted())
                    .put("refused", l.refused());
        }
        Path tmp = stateFile().resolveSibling("serve.json.tmp");
        Files.writeString(tmp, JSON.writeValueAsString(n), StandardCharsets.UTF_8);
        Files.move(tmp, stateFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Optional<JsonNode> state() {
        try {
            return Files.exists(stateFile()) ? Optional.of(JSON.readTree(stateFile().toFile())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether a server holds this data folder's lock now. */
    private boolean running() throws IOException {
        Path lockPath = data.resolve("run").resolve("serve.lock");
        if (!Files.exists(lockPath)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lockPath, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // this very process serves
        }
    }

    private int status(Cli.Options o, PrintStream out) throws IOException {
        boolean running = running();
        Optional<JsonNode> state = state();
        List<OutboxSenders.Failing> failing = senders.failing();
        if (o.json()) {
            ObjectNode n = JSON.createObjectNode().put("running", running).put("data", data.toString());
            state.ifPresent(s -> n.set("server", s));
            ObjectNode counts = n.putObject("outbox");
            for (OutboxEntry.State st : OutboxEntry.State.values()) {
                counts.put(st.name().toLowerCase(), outbox.count(st));
            }
            ArrayNode f = n.putArray("failingSenders");
            failing.forEach(x -> f.addObject().put("pid", x.pid()).put("since", x.since().toString()).put("reason",
                    x.reason()).put("nextAttempt", x.nextAttempt().toString()));
            out.println(JSON.writeValueAsString(n));
            return running ? Cli.OK : NOT_RUNNING;
        }
        if (!running) {
            out.println("No envoi serve runs on " + data + state.filter(s -> s.has("stopped")).map(s -> " (the last"
                    + " one ran from " + s.path("started").asText() + " to " + s.path("stopped").asText() + ")")
                    .orElse("") + ".");
        } else {
            JsonNode s = state.orElse(JSON.createObjectNode());
            out.println("envoi serve runs on " + data + " since " + s.path("started").asText("?") + " (pid "
                    + s.path("pid").asText("?") + ").");
            for (JsonNode l : s.path("listeners")) {
                out.println("  " + l.path("protocol").asText() + " relay on " + l.path("address").asText() + ": "
                        + l.path("accepted").asLong() + " accepted, " + l.path("refused").asLong() + " refused");
            }
        }
        out.println("Outbox: " + outbox.count(OutboxEntry.State.SENT) + " sent, " + outbox.count(
                OutboxEntry.State.QUEUED) + " queued, " + outbox.count(OutboxEntry.State.SENDING) + " sending, "
                + outbox.count(OutboxEntry.State.RETRY) + " to retry, " + outbox.count(OutboxEntry.State.FAILED)
                + " failed, " + outbox.count(OutboxEntry.State.WAITING_CONSENT) + " waiting for consent.");
        for (OutboxSenders.Failing f : failing) {
            out.println("Failing: the sender of process " + f.pid() + " since " + f.since() + " (" + f.passes()
                    + " passes): " + Printable.text(f.reason()));
        }
        return running ? Cli.OK : NOT_RUNNING;
    }
}
