package org.envoi.diffusion.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.envoi.api.Cancellation;
import org.envoi.api.EnvoiException;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.MailboxReader;
import org.envoi.api.transport.TransportRegistry;
import org.envoi.api.vault.TokenVault;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** "Test the service", step by step, each with its outcome, sentence and time. */
@Component(service = FlowTester.class)
public final class FlowTesterService implements FlowTester {

    private final FlowRepository flows;
    private final OperatorRepository operators;
    private final FlowAdmin admin;
    private final ProviderRegistry providers;
    private final TokenService tokens;
    private final TokenVault vault;
    private final TransportRegistry transports;

    @Activate
    public FlowTesterService(@Reference FlowRepository flows,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) OperatorRepository operators,
            @Reference FlowAdmin admin, @Reference ProviderRegistry providers, @Reference TokenService tokens,
            @Reference TokenVault vault, @Reference TransportRegistry transports) {
        this.flows = flows;
        this.transports = transports;
        this.operators = operators;
        this.admin = admin;
        this.providers = providers;
        this.tokens = tokens;
        this.vault = vault;
    }

    @Override
    public Report test(String flowId, String operatorId, Listener listener, Cancellation cancel) {
        Steps steps = new Steps(listener, cancel);
        Flow flow = flows.flow(flowId).orElse(null);
        if (!steps.step("flow", () -> flow == null ? fail("INVALID_FLOW_DATA: there is no flow '" + flowId + "'")
                : "flow '" + flow.name() + "' found")) {
            return steps.report(flowId, operatorId);
        }
        Operator operator = operators.operator(operatorId).orElse(null);
        if (!steps.step("membership", () -> {
            if (operator == null) {
                return fail("OPERATOR_NOT_IN_FLOW: the operator '" + operatorId + "' is not known to Envoi");
            }
            String actual = operators.flowOf(operatorId).orElse(null);
            if (!flowId.equals(actual)) {
                return fail("OPERATOR_NOT_IN_FLOW: operator '" + operatorId + "' is " + (actual == null
                        ? "attached to no flow" : "attached to flow '" + actual + "'") + ", not to '" + flowId
                        + "': attach the operator or their group to this flow");
            }
            return "operator '" + operatorId + "' belongs to the flow";
        })) {
            return steps.report(flowId, operatorId);
        }
        if (!steps.step("data", () -> {
            List<FieldProblem> problems = admin.validate(flow);
            return problems.isEmpty() ? "the flow's data is valid"
                    : fail("INVALID_FLOW_DATA: " + problems.stream().map(FieldProblem::toString).toList());
        })) {
            return steps.report(flowId, operatorId);
        }
        MailLogin[] login = new MailLogin[1];
        Logins once = new Logins() {
            // the probes use the login the token step got, as one sign-in would
            @Override
            public MailLogin current() {
                return login[0];
            }

            @Override
            public void rejected(MailLogin refused) {
            }

            @Override
            public <T> T withRenewal(java.util.function.Function<MailLogin, T> use) {
                return use.apply(current()); // a test renews nothing: a refused login is what the step reports
            }
        };
        Logins logins = FlowClients.logins(flow, operatorId, operator.email(), providers, tokens, vault);
        if (!steps.step(flow.type() == FlowType.OAUTH2 ? "token" : "password", () -> {
            login[0] = logins.current();
            return flow.type() == FlowType.OAUTH2 ? "a valid access token is at hand" + tokens.status(flowId,
                    FlowClients.tokenOwner(flow, operatorId)).accessTokenExpiresAt().map(t -> ", until " + t)
                    .orElse("") : "the password is in the vault";
        })) {
            return steps.report(flowId, operatorId);
        }
        MailRoute route = new MailRoute(flow, operatorId, FlowClients.mailUser(flow, operator.email()), once);
        String from = flow.genericAddress().orElse(operator.email());
        // the SMTP step as it always was (only when the flow has an SMTP server); any other transport always probes
        MailTransport transport = transports.transport(flow.transport()).orElse(null);
        if (transport != null && (!transport.id().equals(MailTransport.SMTP) || flow.smtp().isPresent())) {
            steps.step(transport.id(), () -> {
                try (MailTransport.Connection c = transport.connect(route)) {
                    String reply = c.probe(from);
                    return transport.id().equals(MailTransport.SMTP) ? "logged in to " + flow.smtp().get()
                            .endpoint() + "; MAIL FROM accepted: " + reply : "logged in; " + reply;
                }
            });
        }
        // the reader the fetches use
        MailFetcherService.reader(transports, flow).ifPresent(reader -> steps.step(reader.id().equals("pop3") ? "pop"
                : reader.id(), () -> "logged in" + server(reader, flow) + "; INBOX opened (" + reader.probe(route)
                        + " messages)"));
        return steps.report(flowId, operatorId);
    }

    private static String server(MailboxReader reader, Flow flow) {
        return switch (reader.id()) {
            case "imap" -> flow.imap().map(s -> " to " + s.endpoint()).orElse("");
            case "pop3" -> flow.pop().map(s -> " to " + s.endpoint()).orElse("");
            default -> "";
        };
    }

    /**
     * The steps so far, each run in a thread of its own under the caller's {@link Cancellation}: the mail sockets it
     * opens close when it is cancelled, and the caller gets its report at once even from a step that holds no socket
     * of ours (an HTTP exchange), which then ends by its own time limit with nobody waiting for it.
     */
    private static final class Steps {
        private final List<Step> done = new ArrayList<>();
        private final Listener listener;
        private final Cancellation cancel;

        Steps(Listener listener, Cancellation cancel) {
            this.listener = listener;
            this.cancel = cancel;
        }

        /** Runs one step; @return whether it passed (false once cancelled: nothing further runs). */
        boolean step(String name, Supplier<String> check) {
            if (cancel.isCancelled()) {
                return false;
            }
            listener.started(name);
            long t0 = System.nanoTime();
            CompletableFuture<Step> outcome = new CompletableFuture<>();
            Thread t = new Thread(() -> outcome.complete(cancel.during(() -> run(name, check, t0))),
                    "envoi-flow-test-" + name);
            t.setDaemon(true);
            try (Cancellation.Registration r = cancel.whenCancelled(() -> outcome.complete(null))) {
                t.start();
                Step s = outcome.join();
                if (s == null || cancel.isCancelled()) {
                    s = new Step(name, false, "CANCELLED: the test was cancelled during this step; its connection"
                            + " was closed", Duration.ofNanos(System.nanoTime() - t0));
                }
                done.add(s);
                listener.finished(s);
                return s.ok() && !cancel.isCancelled();
            }
        }

        private static Step run(String name, Supplier<String> check, long t0) {
            boolean ok;
            String sentence;
            try {
                sentence = check.get();
                ok = true;
            } catch (StepFailed e) {
                sentence = e.getMessage();
                ok = false;
            } catch (EnvoiException e) {
                sentence = e.toString();
                ok = false;
            } catch (RuntimeException e) {
                sentence = "unexpected failure: " + e;
                ok = false;
            }
            return new Step(name, ok, sentence, Duration.ofNanos(System.nanoTime() - t0));
        }

        Report report(String flowId, String operatorId) {
            return new Report(flowId, operatorId, List.copyOf(done), cancel.isCancelled());
        }
    }

    private static String fail(String sentence) {
        throw new StepFailed(sentence);
    }

    private static final class StepFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StepFailed(String sentence) {
            super(sentence, null, false, false);
        }
    }
}
