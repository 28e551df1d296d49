package org.envoi.diffusion.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.envoi.api.EnvoiException;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.vault.TokenVault;
import org.envoi.mail.internal.MailboxAccess;
import org.envoi.mail.internal.OutboxWorker;
import org.envoi.mail.internal.SmtpSender;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** "Test the service", step by step, each with its outcome, sentence and time. */
@Component(service = FlowTester.class)
public final class FlowTesterService implements FlowTester {

    private final FlowRepository flows;
    private final OperatorRepository operators;
    private final FlowAdmin admin;
    private final ProviderRegistry providers;
    private final TokenService tokens;
    private final TokenVault vault;

    @Activate
    public FlowTesterService(@Reference FlowRepository flows, @Reference OperatorRepository operators,
            @Reference FlowAdmin admin, @Reference ProviderRegistry providers, @Reference TokenService tokens,
            @Reference TokenVault vault) {
        this.flows = flows;
        this.operators = operators;
        this.admin = admin;
        this.providers = providers;
        this.tokens = tokens;
        this.vault = vault;
    }

    @Override
    public Report test(String flowId, String operatorId) {
        List<Step> steps = new ArrayList<>();
        Flow flow = flows.flow(flowId).orElse(null);
        if (!step(steps, "flow", () -> flow == null ? fail("INVALID_FLOW_DATA: there is no flow '" + flowId + "'")
                : "flow '" + flow.name() + "' found")) {
            return new Report(flowId, operatorId, steps);
        }
        Operator operator = operators.operator(operatorId).orElse(null);
        if (!step(steps, "membership", () -> {
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
            return new Report(flowId, operatorId, steps);
        }
        if (!step(steps, "data", () -> {
            List<FieldProblem> problems = admin.validate(flow);
            return problems.isEmpty() ? "the flow's data is valid"
                    : fail("INVALID_FLOW_DATA: " + problems.stream().map(FieldProblem::toString).toList());
        })) {
            return new Report(flowId, operatorId, steps);
        }
        OutboxWorker.Logins logins = FlowClients.logins(flow, operatorId, operator.email(), providers, tokens, vault);
        MailLogin[] login = new MailLogin[1];
        if (!step(steps, flow.type() == FlowType.OAUTH2 ? "token" : "password", () -> {
            login[0] = logins.current();
            return flow.type() == FlowType.OAUTH2 ? "a valid access token is at hand" + tokens.status(flowId,
                    FlowClients.tokenOwner(flow, operatorId)).accessTokenExpiresAt().map(t -> ", until " + t)
                    .orElse("") : "the password is in the vault";
        })) {
            return new Report(flowId, operatorId, steps);
        }
        String from = flow.genericAddress().orElse(operator.email());
        flow.smtp().ifPresent(smtp -> step(steps, "smtp", () -> {
            try (SmtpSender s = SmtpSender.open(smtp, login[0], flow.genericAddress())) {
                return "logged in to " + smtp.endpoint() + "; MAIL FROM accepted: " + s.probe(from);
            }
        }));
        flow.imap().ifPresent(imap -> step(steps, "imap", () -> mailbox("imap", imap, login[0])));
        flow.pop().ifPresent(pop -> step(steps, "pop", () -> mailbox("pop3", pop, login[0])));
        return new Report(flowId, operatorId, steps);
    }

    private static String mailbox(String protocol, MailServer server, MailLogin login) {
        int count = MailboxAccess.probe(protocol, server, login);
        return "logged in to " + server.endpoint() + "; INBOX opened (" + count + " messages)";
    }

    /** Runs one step; @return whether it passed. */
    private static boolean step(List<Step> steps, String name, Supplier<String> check) {
        long t0 = System.nanoTime();
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
        steps.add(new Step(name, ok, sentence, Duration.ofNanos(System.nanoTime() - t0)));
        return ok;
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
