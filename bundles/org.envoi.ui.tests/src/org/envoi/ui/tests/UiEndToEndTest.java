package org.envoi.ui.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.eclipse.swt.SWT;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Event;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableItem;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.diffusion.Sandbox;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.ui.parts.FlowsPart;
import org.envoi.ui.parts.Messages;
import org.envoi.ui.parts.OutboxPart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/**
 * The screens against the real servers of the earlier issues: "Test the service" from the flows screen, step by step
 * in green, and a delivery note sent through the pipeline seen in the Outbox as SENT with Postfix's answer.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UiEndToEndTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    static Path temp;
    private static MockOAuth2Server oauth;
    private static MailServers servers;
    private static MailPeers peers;
    private static BundleContext ctx;
    private static String flowId;

    @BeforeAll
    static void start() {
        UiPartsTest.requireDisplay();
        peers = MailPeers.start(temp);
        oauth = peers.oauth;
        servers = peers.servers;
        ctx = OsgiServices.context(UiEndToEndTest.class);
        flowId = "ui-shared-" + System.nanoTime();
        Flow flow = new Flow(flowId, "Shared mailbox", FlowType.OAUTH2, "custom", new ProviderFields("", "alice", "",
                List.of("mail"), ConsentHost.PRINT, true), Optional.of(oauth.authorizationEndpoint("mail")),
                Optional.of(oauth.tokenEndpoint("mail")), Optional.empty(),
                Optional.of(MailServer.of("127.0.0.1", servers.smtpPort, TlsMode.NONE)),
                Optional.of(MailServer.of("127.0.0.1", servers.imapPort, TlsMode.NONE)), Optional.empty(), "alice",
                Optional.of(MailServers.address("alice")), 5_000_000, Optional.empty());
        OsgiServices.get(ctx, FlowAdmin.class, null).save(flow, Optional.of("secret"));
        OsgiServices.get(ctx, TokenService.class, null).clientCredentials(new OAuthClient(flowId, "custom",
                oauth.authorizationEndpoint("mail"), oauth.tokenEndpoint("mail"), Optional.empty(), "alice", true,
                List.of("mail"), Optional.empty(), Map.of()));
        OsgiServices.get(ctx, OperatorRepository.class, null).save(new Operator("ui-jdupont", "Jean Dupont",
                "jean@example.test", Optional.empty(), Optional.of(flowId), "", ""));
    }

    @AfterAll
    static void stop() {
        if (peers != null) {
            peers.close();
        }
    }

    /** The flows screen on the real services, open in its own window; {@code sandbox} may be null. */
    private static org.eclipse.swt.widgets.Shell flowsScreen(Display display, Sandbox sandbox) {
        org.eclipse.swt.widgets.Shell shell = new org.eclipse.swt.widgets.Shell(display);
        shell.setLayout(new org.eclipse.swt.layout.FillLayout());
        shell.setSize(1150, 900);
        new FlowsPart().create(new org.eclipse.swt.widgets.Composite(shell, SWT.NONE), Messages.of(Locale.ENGLISH),
                OsgiServices.get(ctx, FlowAdmin.class, null), OsgiServices.get(ctx, FlowRepository.class, null),
                OsgiServices.get(ctx, ProviderRegistry.class, null), OsgiServices.get(ctx, FlowTester.class, null),
                sandbox);
        shell.open();
        return shell;
    }

    @Test
    void tryWithTheLocalSandboxGivesASignedInFlowThatPassesTheTest() {
        Display display = Display.getDefault();
        Sandbox sandbox = OsgiServices.get(ctx, Sandbox.class, null);
        org.eclipse.swt.widgets.Shell shell = flowsScreen(display, sandbox);
        try {
            UiPartsTest.click(shell, "flows.sandbox");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!UiPartsTest.label(shell, "flow.status").startsWith("Sandbox ready")
                    && System.nanoTime() < deadline) {
                UiPartsTest.pump(display);
            }
            String ready = UiPartsTest.label(shell, "flow.status");
            assertTrue(ready.startsWith("Sandbox ready: the flow \"sandbox\" sends as demo@envoi.local"), ready);
            assertEquals(Sandbox.FLOW, ((Text) UiPartsTest.widget(shell, "flow.id")).getText(),
                    "the sandbox's flow is shown");
            assertEquals("not set", UiPartsTest.label(shell, "flow.secret.state"), "a public client: no secret");
            assertEquals(org.envoi.api.oauth.CredentialStatus.State.VALID, OsgiServices.get(ctx, TokenService.class,
                    null).status(Sandbox.FLOW, Sandbox.OPERATOR).state(), "the demo operator is signed in");
            UiPartsTest.screenshot(shell, "flows-sandbox");
            UiPartsTest.click(shell, "flow.test"); // flow, membership, data, token, SMTP, and IMAP: the reader that fetches
            // (the sandbox flow also names a POP3 server, which its fetches do not use)
            Table results = UiPartsTest.widget(shell, "flow.test.results");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            org.eclipse.swt.widgets.Button test = UiPartsTest.widget(shell, "flow.test");
            // each step shows as it ends (issue 19.2): the test is over when its button comes back
            while (!test.isEnabled() && System.nanoTime() < deadline) {
                UiPartsTest.pump(display); // the UI stays responsive while the test runs in the background
            }
            assertEquals(6, results.getItemCount(), () -> UiPartsTest.label(shell, "flow.status"));
            for (TableItem row : results.getItems()) {
                assertEquals("OK", row.getText(1), row.getText(0) + ": " + row.getText(3));
            }
        } finally {
            shell.dispose();
            sandbox.stop();
        }
    }

    @Test
    void testTheServiceShowsEachStepGreenAgainstTheRealServers() {
        Display display = Display.getDefault();
        org.eclipse.swt.widgets.Shell shell = flowsScreen(display, null);
        try {
            Table list = UiPartsTest.widget(shell, "flows.list");
            for (int i = 0; i < list.getItemCount(); i++) {
                if (flowId.equals(list.getItem(i).getData())) {
                    list.select(i);
                }
            }
            list.notifyListeners(SWT.Selection, new Event());
            UiPartsTest.type(shell, "flow.test.operator", "ui-jdupont");
            UiPartsTest.click(shell, "flow.test");
            Table results = UiPartsTest.widget(shell, "flow.test.results");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            org.eclipse.swt.widgets.Button test = UiPartsTest.widget(shell, "flow.test");
            // each step shows as it ends (issue 19.2): the test is over when its button comes back
            while (!test.isEnabled() && System.nanoTime() < deadline) {
                UiPartsTest.pump(display); // the UI stays responsive while the test runs in the background
            }
            assertEquals(6, results.getItemCount(), () -> UiPartsTest.label(shell, "flow.status"));
            for (TableItem row : results.getItems()) {
                assertEquals("OK", row.getText(1), row.getText(0) + ": " + row.getText(3));
            }
            assertTrue(results.getItem(4).getText(3).contains("MAIL FROM accepted"), results.getItem(4).getText(3));
            UiPartsTest.screenshot(shell, "test-the-service");
        } finally {
            shell.dispose();
        }
    }

    @Test
    void aDeliveryNoteSentFromTheErpShowsInTheOutboxAsSent() throws Exception {
        Diffusion.Sent sent = OsgiServices.get(ctx, Diffusion.class, null).send(new DocumentContext("BL", Map.of(
                "SOCIETE", "ACME SARL", "ID_BL", "BL-UI-1", "CLIENT", "Martin SA"), List.of(new DocumentContext.Line(
                        "A", "Vis", BigDecimal.TEN, null))), List.of(), "ui-jdupont", List.of(MailServers.address(
                                "bob")), List.of());
        Outbox outbox = OsgiServices.get(ctx, Outbox.class, null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (outbox.entry(sent.outboxId()).orElseThrow().state() != OutboxEntry.State.SENT
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Display display = Display.getDefault();
        org.eclipse.swt.widgets.Shell shell = new org.eclipse.swt.widgets.Shell(display);
        try {
            shell.setLayout(new org.eclipse.swt.layout.FillLayout());
            shell.setSize(1150, 600);
            new OutboxPart().create(new org.eclipse.swt.widgets.Composite(shell, SWT.NONE), Messages.of(
                    Locale.ENGLISH), outbox);
            shell.open();
            UiPartsTest.pump(display);
            Table t = UiPartsTest.widget(shell, "outbox.table");
            TableItem row = null;
            for (TableItem i : t.getItems()) {
                if (Long.valueOf(sent.outboxId()).equals(i.getData())) {
                    row = i;
                }
            }
            assertTrue(row != null, "the mail is listed");
            assertEquals("SENT", row.getText(2));
            assertTrue(row.getText(4).startsWith("250"), row.getText(4));
            UiPartsTest.screenshot(shell, "outbox-sent");
        } finally {
            shell.dispose();
        }
    }

    @Test
    void theInboxFetchesTheNewMailOnceAndNothingTwice() throws Exception {
        long before = servers.delivered("alice");
        Diffusion.Sent sent = OsgiServices.get(ctx, Diffusion.class, null).send(new DocumentContext("BL", Map.of(
                "SOCIETE", "ACME SARL", "ID_BL", "BL-IN-1"), List.of()), List.of(), "ui-jdupont", List.of(
                        MailServers.address("alice")), List.of());
        peers.awaitDelivered("alice", before + 1);
        Display display = Display.getDefault();
        org.eclipse.swt.widgets.Shell shell = inboxShell(display);
        try {
            Table t = UiPartsTest.widget(shell, "inbox.table");
            fetchAndWait(shell, display);
            boolean found = false;
            for (TableItem i : t.getItems()) {
                found |= sent.messageId().equals(i.getText(2)) && i.getText(1).contains("BL-IN-1");
            }
            assertTrue(found, () -> "the BL is in the inbox: " + UiPartsTest.label(shell, "inbox.status"));
            UiPartsTest.screenshot(shell, "inbox");
            int rows = t.getItemCount();
            fetchAndWait(shell, display);
            assertEquals(rows, t.getItemCount(), "a second fetch brings nothing twice");
            assertEquals("0 new mail(s).", UiPartsTest.label(shell, "inbox.status"));
        } finally {
            shell.dispose();
        }
    }

    /**
     * Issue 19.2: Cancel pressed at once after Fetch stops it between two messages (or before the first): what was read
     * is kept and shown, the next fetch brings exactly the rest, none twice.
     */
    @Test
    void aCancelledFetchKeepsWhatItReadAndTheNextBringsTheRest() throws Exception {
        Display display = Display.getDefault();
        org.eclipse.swt.widgets.Shell shell = inboxShell(display);
        try {
            fetchAndWait(shell, display); // what the other tests left
            String tag = "ui-cancel-" + System.nanoTime();
            servers.fillMaildir("alice", 40, tag);
            org.eclipse.swt.widgets.Button fetch = UiPartsTest.widget(shell, "inbox.fetch");
            org.eclipse.swt.widgets.Button cancel = UiPartsTest.widget(shell, "inbox.cancel");
            fetch.notifyListeners(SWT.Selection, new Event());
            cancel.notifyListeners(SWT.Selection, new Event()); // at once: before the fetch could end
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!fetch.isEnabled() && System.nanoTime() < deadline) {
                UiPartsTest.pump(display);
            }
            String stopped = UiPartsTest.label(shell, "inbox.status");
            assertTrue(stopped.startsWith("Fetch stopped: "), stopped);
            Table t = UiPartsTest.widget(shell, "inbox.table");
            long kept = java.util.Arrays.stream(t.getItems()).filter(i -> i.getText(2).contains(tag)).count();
            assertTrue(kept < 40, "stopped before the end: " + kept);
            fetchAndWait(shell, display);
            List<String> all = java.util.Arrays.stream(t.getItems()).map(i -> i.getText(2)).filter(m -> m.contains(
                    tag)).toList();
            assertEquals(40, all.size(), "the next fetch brings the rest: " + UiPartsTest.label(shell,
                    "inbox.status"));
            assertEquals(40, new java.util.HashSet<>(all).size(), "none twice");
        } finally {
            shell.dispose();
        }
    }

    private static void fetchAndWait(org.eclipse.swt.widgets.Shell shell, Display display) {
        UiPartsTest.click(shell, "inbox.fetch");
        org.eclipse.swt.widgets.Button fetch = UiPartsTest.widget(shell, "inbox.fetch");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!fetch.isEnabled() && System.nanoTime() < deadline) {
            UiPartsTest.pump(display);
        }
        UiPartsTest.pump(display);
    }

    /** The Inbox part in a shell of its own, open, with the operator ui-jdupont typed in. */
    private static org.eclipse.swt.widgets.Shell inboxShell(Display display) {
        org.eclipse.swt.widgets.Shell shell = new org.eclipse.swt.widgets.Shell(display);
        try {
            shell.setLayout(new org.eclipse.swt.layout.FillLayout());
            shell.setSize(1150, 500);
            new org.envoi.ui.parts.InboxPart().create(new org.eclipse.swt.widgets.Composite(shell, SWT.NONE),
                    Messages.of(Locale.ENGLISH), OsgiServices.get(ctx, org.envoi.api.diffusion.MailFetcher.class,
                            null));
            shell.open();
            UiPartsTest.type(shell, "inbox.operator", "ui-jdupont");
            return shell;
        } catch (RuntimeException | Error e) {
            shell.dispose(); // the test's own finally never sees a shell it did not get
            throw e;
        }
    }
}
