package org.envoi.cli.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.envoi.api.DataFolder;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.MailServer;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.envoi.cli.internal.Cli.Options;
import org.envoi.oauth.internal.LoopbackConsentHandler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code sandbox} and {@code demo}: a real OAuth2 server (mock-oauth2-server) and a real mail server (GreenMail: SMTP,
 * IMAP, POP3 with XOAUTH2 checked against that OAuth server's signing key) started on 127.0.0.1 as a child process
 * from the product's {@code sandbox/lib}, and a ready flow {@value #FLOW} with its operator {@value #OPERATOR}
 * written into the data folder. The servers keep their mail in memory: they are for trying Envoi, not for work.
 */
final class SandboxCommands {

    static final String FLOW = "sandbox";
    static final String OPERATOR = "demo";
    /** Framework property naming the folder of the sandbox's jars (default: {@code <install>/sandbox/lib}). */
    static final String LIB_PROPERTY = "envoi.sandbox.lib";
    static final String READY = "ENVOI-SANDBOX-READY ";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final UnaryOperator<String> properties;
    private final FlowAdmin admin;
    private final OperatorRepository operators;
    private final TokenService tokens;
    private final MailCommands mail;
    private final FlowTester tester;

    SandboxCommands(UnaryOperator<String> properties, FlowAdmin admin, OperatorRepository operators,
            TokenService tokens, MailCommands mail, FlowTester tester) {
        this.properties = properties;
        this.admin = admin;
        this.operators = operators;
        this.tokens = tokens;
        this.mail = mail;
        this.tester = tester;
    }

    /** The running servers: the child process and what its ready line said. */
    record Servers(Process process, JsonNode ready) implements AutoCloseable {
        String user() {
            return ready.path("user").asText();
        }

        @Override
        public void close() {
            try {
                process.getOutputStream().close(); // the sandbox stops at the end of its standard input
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroy();
                }
            } catch (IOException e) {
                process.destroy();
            } catch (InterruptedException e) {
                process.destroy();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code sandbox}: starts the servers, writes the flow and the operator, runs until interrupted. */
    int sandbox(Options o, PrintStream out, PrintStream err, BufferedReader in) throws IOException {
        try (Servers s = start(err)) {
            configure(s);
            out.println("Envoi sandbox ready: flow '" + FLOW + "', operator '" + OPERATOR + "' <" + s.user() + ">,"
                    + " SMTP 127.0.0.1:" + s.ready().path("smtpPort").asInt() + ", IMAP 127.0.0.1:"
                    + s.ready().path("imapPort").asInt() + ", OAuth " + s.ready().path("issuer").asText());
            out.println("In another terminal: envoi authorize --operator " + OPERATOR + ", then envoi send --operator "
                    + OPERATOR + " --to " + s.user() + " --diffusion BL --param ID_BL=BL-0001 --param SOCIETE=Demo"
                    + " --wait, then envoi fetch --operator " + OPERATOR + ". Ctrl-C stops the sandbox.");
            out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Thread hook = new Thread(stop::countDown, "envoi-sandbox-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                while (s.process().isAlive() && !stop.await(1, TimeUnit.SECONDS)) {
                    // until Ctrl-C (the shutdown hook) or the servers end
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!s.process().isAlive()) {
                err.println("FAILURE: the sandbox servers stopped (exit " + s.process().exitValue() + "); see "
                        + log());
                return Cli.FAILURE;
            }
            return Cli.OK;
        }
    }

    /**
     * {@code demo [--keep]}: the sandbox, then everything a newcomer should see once: sign-in (the sandbox's OAuth
     * server signs the demo operator in without a form, so the command plays the browser), the flow test, a BL with
     * its PDF sent through the outbox, read back over IMAP, a second fetch that brings nothing.
     */
    int demo(Options o, PrintStream out, PrintStream err) throws IOException {
        try (Servers s = start(err)) {
            configure(s);
            out.println("1. Sandbox started on 127.0.0.1: flow '" + FLOW + "', operator '" + OPERATOR + "' <"
                    + s.user() + ">");
            FlowAdmin.SignInTarget target = admin.signInTarget(FLOW, OPERATOR);
            tokens.authorize(target.client(), target.owner(), new LoopbackConsentHandler(SandboxCommands::visit),
                    Duration.ofSeconds(60));
            out.println("2. Signed in (authorization code with PKCE); tokens kept in the vault, access valid until "
                    + tokens.status(FLOW, OPERATOR).accessTokenExpiresAt().map(Instant::toString).orElse("?"));
            FlowTester.Report r = tester.test(FLOW, OPERATOR);
            out.println("3. Flow test: " + (r.ok() ? "every step passed" : "FAILED"));
            r.steps().forEach(step -> out.println("     " + (step.ok() ? "OK     " : "FAILED ") + step.name() + ": "
                    + step.sentence()));
            if (!r.ok()) {
                return Cli.FAILURE;
            }
            String number = "BL-DEMO-" + (System.currentTimeMillis() % 100_000);
            Options send = new Options(List.of("--operator", OPERATOR, "--to", s.user(), "--diffusion", "BL",
                    "--param", "ID_BL=" + number, "--param", "SOCIETE=Envoi Demo", "--param", "CLIENT=Newcomer Ltd",
                    "--param", "DATE=" + LocalDate.now(), "--wait", "--wait-seconds", "60"));
            int sent = mail.send(send, out, err);
            if (sent != Cli.OK) {
                return sent;
            }
            out.println("4. " + number + " sent through the outbox with its PDF");
            List<FetchedMail> got = new ArrayList<>();
            Instant end = Instant.now().plusSeconds(20);
            while (got.isEmpty() && Instant.now().isBefore(end)) {
                got.addAll(mail.fetcher().fetchNew(OPERATOR, "INBOX"));
                if (got.isEmpty()) {
                    sleep(300);
                }
            }
            Optional<FetchedMail> back = got.stream().filter(m -> m.subject().contains(number)).findFirst();
            if (back.isEmpty()) {
                err.println("MAIL_UNAVAILABLE: the sent " + number + " did not arrive in the sandbox's INBOX.");
                return Cli.DELIVERY;
            }
            out.println("5. Read back over IMAP: \"" + back.get().subject() + "\" with " + attachmentNames(back.get()));
            out.println("6. A second fetch brings " + mail.fetcher().fetchNew(OPERATOR, "INBOX").size()
                    + " new mail: nothing is fetched twice");
            if (o.flags.contains("--keep")) {
                out.println("The sandbox keeps running (Ctrl-C stops it); try envoi send / fetch with --operator "
                        + OPERATOR + " in another terminal.");
                out.flush();
                try {
                    s.process().waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Cli.OK;
        }
    }

    /** Starts the servers and waits for their ready line. */
    Servers start(PrintStream err) throws IOException {
        Path lib = lib();
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("the sandbox servers are not installed (no " + lib + "); they ship in"
                    + " the Envoi product's sandbox/lib folder");
        }
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
        Path log = log();
        Files.createDirectories(log.getParent());
        err.println("starting the sandbox servers (log: " + log + ")...");
        Process p = new ProcessBuilder(java, "-cp", lib.resolve("*").toString(), "org.envoi.sandbox.SandboxMain")
                .redirectError(log.toFile()).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        JsonNode[] ready = new JsonNode[1];
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = lines.readLine()) != null;) {
                    if (line.startsWith(READY) && ready[0] == null) {
                        synchronized (ready) {
                            ready[0] = JSON.readTree(line.substring(READY.length()));
                            ready.notifyAll();
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "envoi-sandbox-out");
        reader.setDaemon(true);
        reader.start();
        Instant end = Instant.now().plusSeconds(90);
        synchronized (ready) {
            while (ready[0] == null && p.isAlive() && Instant.now().isBefore(end)) {
                try {
                    ready.wait(200);
                } catch (InterruptedException e) {
                    p.destroy();
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while the sandbox started");
                }
            }
        }
        if (ready[0] == null) {
            p.destroy();
            throw new IllegalStateException("the sandbox servers did not start; see " + log);
        }
        return new Servers(p, ready[0]);
    }

    /** Writes (or rewrites, the ports change at every start) the sandbox flow and its operator. */
    void configure(Servers s) {
        JsonNode r = s.ready();
        Optional<MailServer> smtp = loopback(r.path("smtpPort").asInt());
        Flow flow = new Flow(FLOW, "Local sandbox", FlowType.OAUTH2, "custom", new ProviderFields("", r.path("clientId")
                .asText(), "", List.of("openid", "email", "offline_access"), ConsentHost.LOOPBACK, false), Optional.of(
                        URI.create(r.path("authorizationEndpoint").asText())), Optional.of(URI.create(r.path(
                                "tokenEndpoint").asText())), Optional.empty(), smtp, loopback(r.path("imapPort")
                                        .asInt()), loopback(r.path("pop3Port").asInt()), "", Optional.empty(),
                25L * 1024 * 1024, Optional.empty());
        admin.save(flow, Optional.empty());
        operators.save(new Operator(OPERATOR, "Demo operator", s.user(), Optional.empty(), Optional.of(FLOW), "", ""));
    }

    private static Optional<MailServer> loopback(int port) {
        return port <= 0 ? Optional.empty() : Optional.of(new MailServer(new ServerEndpoint("127.0.0.1", port,
                TlsMode.NONE), MailServer.DEFAULT_TIMEOUT, null));
    }

    private Path lib() {
        String configured = properties.apply(LIB_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String install = properties.apply("osgi.install.area");
        Path home = install == null ? Path.of(".") : Path.of(URI.create(install.replace(" ", "%20")));
        return home.resolve("sandbox").resolve("lib");
    }

    private Path log() {
        return DataFolder.resolve(properties).resolve("logs").resolve("sandbox.log");
    }

    /** Plays the browser for the demo: the sandbox's OAuth server answers with a redirect to Envoi's listener. */
    private static void visit(URI uri) {
        HttpClient.newBuilder().followRedirects(HttpClient.Redirect.ALWAYS).connectTimeout(Duration.ofSeconds(10))
                .build().sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.discarding());
    }

    private static final Pattern FILE_NAME = Pattern.compile("filename=\"?([^\";\\r\\n]+)\"?");

    private static String attachmentNames(FetchedMail m) {
        Matcher x = FILE_NAME.matcher(new String(m.raw(), StandardCharsets.ISO_8859_1));
        List<String> names = new ArrayList<>();
        while (x.find()) {
            names.add(x.group(1));
        }
        return names.isEmpty() ? "no attachment" : "attachment " + String.join(", ", names);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
