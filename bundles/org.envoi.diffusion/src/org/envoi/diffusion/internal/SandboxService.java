package org.envoi.diffusion.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.Sandbox;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentTerminal;
import org.envoi.api.oauth.TerminalConsent;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Runs the sandbox's servers as a child Java process from the product's {@code sandbox/lib} (framework property
 * {@value #LIB_PROPERTY} overrides it), reads their one ready line, and writes the flow and the operator. The child
 * stops when its standard input closes, so it never outlives this process.
 */
@Component(service = Sandbox.class)
public final class SandboxService implements Sandbox {

    /** Framework property naming the folder of the sandbox's jars (default: {@code <install>/sandbox/lib}). */
    public static final String LIB_PROPERTY = "envoi.sandbox.lib";
    static final String READY = "ENVOI-SANDBOX-READY ";
    private static final String MAIN = "org.envoi.sandbox.SandboxMain";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FlowAdmin admin;
    private final OperatorRepository operators;
    private final TokenService tokens;
    private final TerminalConsent followRedirect;
    private final UnaryOperator<String> properties;
    private Process process;
    private Running running;

    @Activate
    public SandboxService(BundleContext context, @Reference FlowAdmin admin,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) OperatorRepository operators,
            @Reference TokenService tokens, @Reference(target = "(" + ConsentHandler.CONSENT_HOST + "="
                    + TerminalConsent.FOLLOW_REDIRECT + ")") TerminalConsent followRedirect) {
        this.admin = admin;
        this.followRedirect = followRedirect;
        this.operators = operators;
        this.tokens = tokens;
        this.properties = context::getProperty;
    }

    @Override
    public synchronized Running start() {
        if (running != null && process.isAlive()) {
            return running;
        }
        Path lib = lib();
        if (!Files.isDirectory(lib)) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, null, "The sandbox is not installed here (no " + lib
                    + "): it ships in the Envoi product's sandbox/lib folder.", null);
        }
        Path log = DataFolder.resolve(properties).resolve("logs").resolve("sandbox.log");
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
        Process p;
        try {
            Files.createDirectories(log.getParent());
            p = new ProcessBuilder(java, "-cp", lib.resolve("*").toString(), MAIN).redirectError(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, null, "The sandbox could not be started: "
                    + e.getMessage(), e);
        }
        JsonNode ready = awaitReady(p, log);
        Running r = new Running(FLOW, OPERATOR, ready.path("user").asText(), URI.create(ready.path("issuer")
                .asText()), ready.path("smtpPort").asInt(), ready.path("imapPort").asInt(), ready.path("pop3Port")
                        .asInt(), log);
        try {
            admin.save(new Flow(FLOW, "Local sandbox", FlowType.OAUTH2, "custom", new ProviderFields("", ready.path(
                    "clientId").asText(), "", List.of("openid", "email", "offline_access"), ConsentHost.LOOPBACK,
                    false), Optional.of(URI.create(ready.path("authorizationEndpoint").asText())), Optional.of(URI
                            .create(ready.path("tokenEndpoint").asText())), Optional.empty(), loopback(r.smtpPort()),
                    loopback(r.imapPort()), loopback(r.pop3Port()), "", Optional.empty(), 25L * 1024 * 1024,
                    Optional.empty()), Optional.empty());
            operators.save(new Operator(OPERATOR, "Demo operator", r.address(), Optional.empty(), Optional.of(FLOW),
                    "", ""));
        } catch (RuntimeException e) {
            stop(p);
            throw e;
        }
        this.process = p;
        this.running = r;
        return r;
    }

    /** Reads the child's standard output until its ready line (at most 90 s); the rest of its output is drained. */
    private static JsonNode awaitReady(Process p, Path log) {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        JsonNode[] ready = new JsonNode[1];
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null;) {
                    if (line.startsWith(READY)) {
                        JsonNode n = JSON.readTree(line.substring(READY.length()));
                        synchronized (ready) {
                            ready[0] = n;
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
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        synchronized (ready) {
            while (ready[0] == null && p.isAlive() && System.nanoTime() < end) {
                try {
                    ready.wait(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (ready[0] == null) {
                stop(p);
                throw new EnvoiException(ErrorCode.INVALID_INPUT, null, "The sandbox servers did not start; their"
                        + " log is " + log + ".", null);
            }
            return ready[0];
        }
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

    @Override
    public synchronized Optional<Running> running() {
        return running != null && process.isAlive() ? Optional.of(running) : Optional.empty();
    }

    @Override
    public void signIn() {
        Running r = running().orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_INPUT, null, "The sandbox is not"
                + " running: start it first.", null));
        FlowAdmin.SignInTarget target = admin.signInTarget(r.flowId(), r.operatorId());
        // the sandbox's server approves at once: nothing is shown or read
        ConsentTerminal none = ConsentTerminal.of(new PrintStream(OutputStream.nullOutputStream()),
                new BufferedReader(Reader.nullReader()));
        tokens.authorize(target.client(), target.owner(), followRedirect.open(none), Duration.ofSeconds(60));
    }

    @Override
    public synchronized void stop() {
        if (process != null) {
            stop(process);
        }
        process = null;
        running = null;
    }

    private static void stop(Process p) {
        try {
            p.getOutputStream().close(); // the sandbox stops at the end of its standard input
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroy();
            }
        } catch (IOException e) {
            p.destroy();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
        }
    }

    @Deactivate
    void deactivate() {
        stop();
    }
}
