package org.envoi.diffusion.internal;

import java.time.Clock;
import java.time.Duration;

import java.util.List;
import java.util.Map;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.mail.OutboxStore;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.transport.TransportRegistry;
import org.envoi.diffusion.internal.OutboxWorker.Route;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * The background sender of the running product: one thread serving the outbox with the routes of the stored flows,
 * woken by every queued mail; mails a stopped Envoi left SENDING go again once their claim has lapsed. Registered as itself so the
 * pipeline can wake it, and as the API's {@link OutboxSenders}: their health, and a wake-up for the command line's
 * {@code outbox retry}.
 */
@Component(service = { OutboxService.class, OutboxSenders.class }, immediate = true,
        configurationPid = OutboxService.PID)
@Designate(ocd = OutboxService.Configuration.class)
public final class OutboxService implements OutboxSenders {

    /** The configuration's PID (metatype: {@code OSGI-INF/metatype/org.envoi.outbox.sender.xml}). */
    public static final String PID = "org.envoi.outbox.sender";

    @ObjectClassDefinition(id = PID, name = "Envoi background sender", description = "How this process sends the"
            + " outbox's mails. Without this configuration, the framework property envoi.outbox.sender decides"
            + " (the command line sets on-demand), else background.")
    public @interface Configuration {

        @AttributeDefinition(name = "Mode", description = "background: a thread serves the outbox from start;"
                + " on-demand: it starts once this process queues a mail; off: this process sends nothing, another"
                + " Envoi process (a desktop, envoi serve) sends what it queues.", options = {
                        @Option(value = "background"), @Option(value = "on-demand"), @Option(value = "off") })
        String mode() default "background";
    }

    private final OutboxStore store;
    private final FlowRepository flows;
    private final OperatorRepository operators;
    private final ProviderRegistry providers;
    private final TokenService tokens;
    private final TokenVault vault;
    private final TransportRegistry transports;
    private final OutboxWorker worker;
    private final Thread thread;
    private final SenderHealthFiles health;
    private volatile boolean stopped;

    /**
     * Framework property: {@code background} (default: the product serves the outbox from start) or {@code on-demand}
     * (a short-lived process such as a CLI command: nothing is recovered or sent until this process queues a mail;
     * the mails another running Envoi is sending are never taken, their claim holds).
     */
    public static final String MODE = "envoi.outbox.sender";
    private static final String ON_DEMAND = "on-demand";
    private static final String OFF = "off";

    /** background, on-demand or off: {@link Configuration#mode()}. */
    private final String mode;

    @Activate
    public OutboxService(BundleContext context, Map<String, Object> properties, @Reference OutboxStore store,
            @Reference FlowRepository flows,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) OperatorRepository operators,
            @Reference ProviderRegistry providers,
            @Reference TokenService tokens, @Reference TokenVault vault, @Reference TransportRegistry transports) {
        this.store = store;
        this.transports = transports;
        this.flows = flows;
        this.operators = operators;
        this.providers = providers;
        this.tokens = tokens;
        this.vault = vault;
        this.worker = new OutboxWorker(store, this::route, Clock.systemUTC(), Duration.ofSeconds(30),
                Duration.ofHours(1));
        this.health = new SenderHealthFiles(DataFolder.resolve(context::getProperty));
        this.thread = new Thread(() -> worker.serve(() -> stopped, Duration.ofSeconds(5), Duration.ofSeconds(30),
                health), "envoi-outbox");
        thread.setDaemon(true);
        // the configuration when there is one (a host's), else the framework property (the command line's)
        Object configured = properties.get("mode");
        if (configured != null && !List.of("background", ON_DEMAND, OFF).contains(configured.toString().strip())) {
            // a host that meant "off" must not get a sender: the component does not start, SCR logs why
            throw new IllegalArgumentException("The configuration " + PID + " has mode '" + configured + "': write"
                    + " background, on-demand or off.");
        }
        this.mode = configured != null ? configured.toString().strip() : context.getProperty(MODE);
        if (!OFF.equals(mode) && !ON_DEMAND.equals(mode)) {
            startServing();
        }
    }

    /** Serves the outbox (the worker first takes back what a stopped Envoi left SENDING); once; never when off. */
    private synchronized void startServing() {
        if (!OFF.equals(mode) && thread.getState() == Thread.State.NEW) {
            thread.start();
        }
    }

    /** A mail was queued, put back in the queue, or consent was given: send now. */
    @Override
    public void wake() {
        startServing();
        worker.wake();
    }

    /** Consent came for a flow and operator: their waiting mails go. */
    public void consentGiven(String flowId, String operatorId) {
        store.consentGiven(flowId, operatorId, Clock.systemUTC().instant());
        wake();
    }

    Route route(String flowId, String operatorId) {
        Flow flow = flows.flow(flowId).orElseThrow(() -> new EnvoiException(ErrorCode.NO_FLOW_FOR_OPERATOR, null,
                "The flow '" + flowId + "' of this mail no longer exists: attach the operator to a flow and retry.",
                null));
        // a transport that is not installed fails the mail with the registry's sentence (what to install)
        var transport = transports.requireTransport(flow.transport());
        String email = operators.operator(operatorId).map(Operator::email).orElse("");
        return new Route(transport, FlowClients.route(flow, operatorId, email, providers, tokens, vault));
    }

    @Override
    public Activity activity() {
        return worker.activity();
    }

    @Override
    public void pause() {
        worker.pause();
    }

    @Override
    public void resume() {
        worker.resume();
    }

    @Override
    public List<Failing> failing() {
        return health.read();
    }

    @Deactivate
    void stop() {
        stopped = true;
        worker.wake();
        if (thread.getState() == Thread.State.NEW) {
            return;
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        health.clear();
    }
}
