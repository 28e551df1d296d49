package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.MailboxReader;
import org.envoi.api.transport.TransportRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Issue 17: SMTP, IMAP and POP3 are services org.envoi.mail registers, found by the pipeline through the
 * {@link TransportRegistry}; a flow naming a transport that is not installed is refused with the registry's sentence,
 * and a mail already queued for it fails with that sentence.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TransportServicesTest {

    private static final ProviderFields NO_OAUTH = new ProviderFields("", "", "", List.of(), ConsentHost.PRINT,
            false);

    private static BundleContext ctx;
    private static TransportRegistry registry;
    private static FlowAdmin admin;

    @BeforeAll
    static void services() {
        ctx = OsgiServices.context(TransportServicesTest.class);
        registry = OsgiServices.get(ctx, TransportRegistry.class, null);
        admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        // the services come and go with their bundle: wait for them as the product's start does
        OsgiServices.await(ctx, MailboxReader.class, "(" + MailboxReader.MAILBOX_ID + "=pop3)");
    }

    @Test
    void theMailBundleOffersSmtpImapAndPop3ThroughTheRegistry() {
        ServiceReference<MailTransport> smtp = OsgiServices.await(ctx, MailTransport.class, "("
                + MailTransport.TRANSPORT_ID + "=smtp)");
        assertEquals("org.envoi.mail", smtp.getBundle().getSymbolicName());
        MailTransport t = registry.requireTransport("smtp");
        assertEquals("smtp", t.id());
        assertTrue(registry.transports().contains(t), registry.transports().toString());
        for (String id : List.of("imap", "pop3")) {
            ServiceReference<MailboxReader> ref = OsgiServices.await(ctx, MailboxReader.class, "("
                    + MailboxReader.MAILBOX_ID + "=" + id + ")");
            assertEquals("org.envoi.mail", ref.getBundle().getSymbolicName(), id);
            assertTrue(registry.mailboxReaders().stream().anyMatch(r -> r.id().equals(id)),
                    registry.mailboxReaders().toString());
        }
        MailboxReader imap = registry.mailboxReaders().stream().filter(r -> r.id().equals("imap")).findFirst()
                .orElseThrow();
        MailboxReader pop3 = registry.mailboxReaders().stream().filter(r -> r.id().equals("pop3")).findFirst()
                .orElseThrow();
        Flow both = flow("both", "smtp", true, true);
        Flow popOnly = flow("pop-only", "smtp", false, true);
        assertTrue(imap.forFlow(both) && !pop3.forFlow(both), "IMAP when the flow has an IMAP server");
        assertTrue(!imap.forFlow(popOnly) && pop3.forFlow(popOnly), "POP3 when it has only POP3");
    }

    @Test
    void aFlowNamingATransportThatIsNotInstalledIsRefusedOnTheTransportField() {
        Flow f = flow("pigeon-" + System.nanoTime(), "pigeon", true, false);
        List<FieldProblem> problems = admin.validate(f);
        FieldProblem p = problems.stream().filter(q -> q.field().equals("transport")).findFirst().orElseThrow(
                () -> new AssertionError("no problem on transport: " + problems));
        String sentence = assertThrows(EnvoiException.class, () -> registry.requireTransport("pigeon")).getMessage();
        assertEquals(sentence, p.message(), "the registry's sentence");
        assertTrue(sentence.contains("pigeon") && sentence.contains("smtp"), sentence);
        EnvoiException e = assertThrows(EnvoiException.class, () -> admin.save(f, Optional.empty()));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code());
        assertEquals("transport", e.field());
    }

    @Test
    void onlyAnSmtpFlowNeedsAMailServer() {
        Flow bare = new Flow("bare", "Bare", FlowType.BASIC, "custom", NO_OAUTH, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "compta",
                Optional.empty(), 0, Optional.empty());
        assertTrue(admin.validate(bare).stream().anyMatch(q -> q.field().equals("smtp")), "an SMTP flow needs one");
        // a flow that only reads stays valid over SMTP, as before transports: its SMTP server is asked for at sending
        Flow readOnly = new Flow("read-only", "Read only", FlowType.BASIC, "custom", NO_OAUTH, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(MailServer.of("127.0.0.1", 1143,
                        TlsMode.NONE)), Optional.empty(), "compta", Optional.empty(), 0, Optional.empty());
        assertEquals(List.of(), admin.validate(readOnly));
        List<FieldProblem> other = admin.validate(bare.withTransport("pigeon", Map.of()));
        assertFalse(other.stream().anyMatch(q -> q.field().equals("smtp")), other.toString());
        assertEquals(List.of("transport"), other.stream().map(FieldProblem::field).toList());
    }

    /** The transport's bundle was removed after the flow was saved: its mails fail with what to install. */
    @Test
    void aMailOfAFlowWhoseTransportIsNotInstalledFailsWithTheRegistrysSentence() throws Exception {
        String id = "pigeon-" + System.nanoTime();
        FlowRepository flows = OsgiServices.get(ctx, FlowRepository.class, null);
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        // stored as an older Envoi or an uninstalled bundle leaves it: FlowAdmin would refuse to save it now
        flows.save(flow(id, "pigeon", true, false));
        operators.save(new Operator("op-" + id, "Opérateur", "op@example.test", Optional.empty(), Optional.of(id), "",
                ""));
        try {
            Diffusion.Sent sent = OsgiServices.get(ctx, Diffusion.class, null).sendMessage("Par pigeon", "Bonjour",
                    Map.of(), List.of(), "op-" + id, List.of("bob@example.test"), List.of());
            Outbox outbox = OsgiServices.get(ctx, Outbox.class, null);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            OutboxEntry e = outbox.entry(sent.outboxId()).orElseThrow();
            while (e.state() != OutboxEntry.State.FAILED && System.nanoTime() < deadline) {
                Thread.sleep(100); // the background sender takes it at once: the queued mail woke it
                e = outbox.entry(sent.outboxId()).orElseThrow();
            }
            assertEquals(OutboxEntry.State.FAILED, e.state(), e.toString());
            String sentence = assertThrows(EnvoiException.class, () -> registry.requireTransport("pigeon"))
                    .getMessage();
            assertTrue(e.lastReply().contains(sentence), e.lastReply());
            assertTrue(e.lastReply().startsWith("INVALID_FLOW_DATA"), e.lastReply());
        } finally {
            // the other tests of this framework export and import every stored flow
            operators.remove("op-" + id);
            flows.remove(id);
        }
    }

    private static Flow flow(String id, String transport, boolean imap, boolean pop) {
        return new Flow(id, "Flow " + id, FlowType.BASIC, "custom", NO_OAUTH, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(MailServer.of("127.0.0.1", 2525, TlsMode.NONE)),
                imap ? Optional.of(MailServer.of("127.0.0.1", 1143, TlsMode.NONE)) : Optional.empty(),
                pop ? Optional.of(MailServer.of("127.0.0.1", 1110, TlsMode.NONE)) : Optional.empty(), "compta",
                Optional.empty(), 0, Optional.empty()).withTransport(transport, Map.of());
    }
}
