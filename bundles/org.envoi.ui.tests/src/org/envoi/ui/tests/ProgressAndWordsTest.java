package org.envoi.ui.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.FillLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Event;
import org.eclipse.swt.widgets.ProgressBar;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableItem;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.envoi.ui.consent.SignInDialog;
import org.envoi.ui.parts.FlowHealthPart;
import org.envoi.ui.parts.FlowsPart;
import org.envoi.ui.parts.Messages;
import org.envoi.ui.parts.OperatorsPart;
import org.envoi.ui.parts.OutboxPart;
import org.envoi.ui.parts.ProvidersPart;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.BundleContext;

/**
 * Issue 19.2 and 19.4 on a real display with the real services: "Test the service" shows its steps as they end and
 * Cancel closes the connection of the step on the wire; the Outbox's "Pause sending" holds the real sender; the sign-in
 * dialog runs as a job with a bar and Cancel; each sign-in state reads as a sentence, English and French, with a Sign
 * in button per operator in Flow health.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ProgressAndWordsTest {

    private static Display display;
    private static BundleContext ctx;

    @BeforeAll
    static void open() {
        UiPartsTest.requireDisplay();
        display = Display.getDefault();
        ctx = OsgiServices.context(ProgressAndWordsTest.class);
    }

    private static void inShell(Consumer<Composite> build, Consumer<Shell> drive) {
        Shell shell = new Shell(display);
        shell.setLayout(new FillLayout());
        shell.setSize(1150, 900);
        build.accept(new Composite(shell, SWT.NONE));
        shell.open();
        UiPartsTest.pump();
        try {
            drive.accept(shell);
        } finally {
            shell.dispose();
        }
    }

    /** Runs the display until {@code done}, at most {@code seconds}. */
    private static boolean pumpUntil(BooleanSupplier done, int seconds) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean() && System.nanoTime() < end) {
            UiPartsTest.pump(display);
        }
        return done.getAsBoolean();
    }

    private static <T> T waitFor(CompletableFuture<T> f, int seconds) throws Exception {
        assertTrue(pumpUntil(f::isDone, seconds), "not done within " + seconds + " s");
        return f.get();
    }

    private static FlowsPart flowsPart(Composite c) {
        FlowsPart p = new FlowsPart();
        p.create(c, Messages.of(Locale.ENGLISH), OsgiServices.get(ctx, FlowAdmin.class, null), OsgiServices.get(ctx,
                FlowRepository.class, null), OsgiServices.get(ctx, ProviderRegistry.class, null), OsgiServices.get(
                        ctx, FlowTester.class, null));
        return p;
    }

    @Test
    void cancellingTheTestOfTheServiceClosesTheConnectionOfTheStepOnTheWire() throws Exception {
        FlowAdmin admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            String id = "ui-stuck-" + System.nanoTime();
            // a relay that accepts and never greets; a time limit far beyond the test's
            admin.save(new Flow(id, "Stuck relay", FlowType.BASIC, "custom", new ProviderFields("", "", "", List.of(),
                    ConsentHost.PRINT, false), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(
                            MailServer.of("127.0.0.1", silent.getLocalPort(), TlsMode.NONE).withTimeout(Duration
                                    .ofMinutes(5))), Optional.empty(), Optional.empty(), "compta", Optional.empty(),
                    0, Optional.empty()), Optional.of("the-password"));
            operators.save(new Operator("ui-stuck", "Opérateur", "op@example.test", Optional.empty(), Optional.of(id),
                    "", ""));
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return silent.accept();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            inShell(ProgressAndWordsTest::flowsPart, shell -> {
                try {
                    Table list = UiPartsTest.widget(shell, "flows.list");
                    for (int i = 0; i < list.getItemCount(); i++) {
                        if (id.equals(list.getItem(i).getData())) {
                            list.select(i);
                        }
                    }
                    list.notifyListeners(SWT.Selection, new Event());
                    UiPartsTest.pump();
                    UiPartsTest.type(shell, "flow.test.operator", "ui-stuck");
                    UiPartsTest.click(shell, "flow.test");
                    pumpUntil(accepted::isDone, 20);
                    assertTrue(accepted.isDone(), () -> "no SMTP connection; status: " + UiPartsTest.label(shell,
                            "flow.status") + "; flow shown: " + UiPartsTest.<org.eclipse.swt.widgets.Text>widget(
                                    shell, "flow.id").getText());
                    try (Socket held = waitFor(accepted, 20)) { // the SMTP step waits for the greeting
                        ProgressBar bar = UiPartsTest.widget(shell, "flow.test.progress");
                        assertTrue(pumpUntil(() -> bar.getSelection() > 0, 5), "the bar moves step by step");
                        assertTrue(bar.isVisible());
                        Table steps = UiPartsTest.widget(shell, "flow.test.results");
                        assertTrue(pumpUntil(() -> Arrays.stream(steps.getItems()).anyMatch(i ->
                                "flow.test.step.password".equals(i.getData(ProvidersPart.KEY))), 5),
                                "each step shows as it ends");
                        assertTrue(UiPartsTest.<Button>widget(shell, "flow.test.cancel").isEnabled());
                        UiPartsTest.screenshot(shell, "flows-test-running-en");
                        held.setSoTimeout(5_000);
                        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                            try {
                                return held.getInputStream().read();
                            } catch (java.net.SocketTimeoutException e) {
                                return -2;
                            } catch (IOException e) {
                                return -1; // reset by the client: closed as well
                            }
                        });
                        long t0 = System.nanoTime();
                        UiPartsTest.click(shell, "flow.test.cancel");
                        int r = waitFor(read, 10);
                        assertEquals(-1, r, "the step's socket is closed by Cancel (-2: still open after 5 s)");
                        long ms = (System.nanoTime() - t0) / 1_000_000;
                        assertTrue(ms < 2_000, "closed " + ms + " ms after Cancel");
                    }
                    assertTrue(pumpUntil(() -> UiPartsTest.label(shell, "flow.status").contains("cancelled"), 5),
                            UiPartsTest.label(shell, "flow.status"));
                    assertEquals("Test cancelled during the step \"smtp\": its connection was closed.", UiPartsTest
                            .label(shell, "flow.status"));
                    assertFalse(UiPartsTest.<ProgressBar>widget(shell, "flow.test.progress").isVisible());
                    assertTrue(UiPartsTest.<Button>widget(shell, "flow.test").isEnabled());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            operators.remove("ui-stuck");
            admin.remove(id);
        }
    }

    /** Issue 19.4: one sentence per state, French and English, the time in the user's locale. */
    @Test
    void flowHealthAndOperatorsSaySignInStatesInSentencesWithASignInButtonPerOperator() {
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        TokenVault vault = OsgiServices.get(ctx, TokenVault.class, null);
        FlowAdmin admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        String flowId = "ui-words-" + System.nanoTime();
        inShell(ProgressAndWordsTest::flowsPart, shell -> {
            UiPartsTest.click(shell, "flows.new");
            UiPartsTest.select(shell, "flow.preset", "Microsoft 365");
            UiPartsTest.type(shell, "flow.id", flowId);
            UiPartsTest.type(shell, "flow.clientId", "11111111-2222-3333-4444-555555555555");
            UiPartsTest.type(shell, "flow.tenant", "contoso.onmicrosoft.com");
            UiPartsTest.click(shell, "flow.save");
        });
        for (String[] o : new String[][] { { "ui-ana", "Ana Nobody" }, { "ui-luc", "Luc Valid" },
            { "ui-eva", "Eva Refused" } }) {
            operators.save(new Operator(o[0], o[1], o[0] + "@example.test", Optional.empty(), Optional.of(flowId),
                    "", ""));
        }
        Instant until = Instant.now().plus(Duration.ofMinutes(50)).truncatedTo(ChronoUnit.SECONDS);
        vault.write(VaultKey.tokens(flowId, "ui-luc"), credential("VALID", until, null));
        vault.write(VaultKey.tokens(flowId, "ui-eva"), credential("CONSENT_REQUIRED", until, "the administrator"
                + " revoked the sign-in."));
        try {
            for (Locale locale : List.of(Locale.ENGLISH, Locale.FRENCH)) {
                Messages m = Messages.of(locale);
                String time = (until.atZone(ZoneId.systemDefault()).toLocalDate().equals(LocalDate.now())
                        ? DateTimeFormatter.ofLocalizedTime(FormatStyle.SHORT)
                        : DateTimeFormatter.ofLocalizedDateTime(FormatStyle.SHORT)).withLocale(locale).format(until
                                .atZone(ZoneId.systemDefault()));
                String valid = locale == Locale.ENGLISH ? "Signed in until " + time + "; renewed silently after that."
                        : "Connect\u00e9 jusqu'\u00e0 " + time + " ; renouvel\u00e9 sans rien demander ensuite.";
                String none = locale == Locale.ENGLISH ? "Nobody has signed in yet: click Sign in."
                        : "Personne ne s'est encore connect\u00e9 : cliquez sur Se connecter.";
                String refused = locale == Locale.ENGLISH
                        ? "Sign-in needed again: the administrator revoked the sign-in. Click Sign in."
                        : "Il faut se connecter \u00e0 nouveau : the administrator revoked the sign-in. Cliquez sur"
                                + " Se connecter.";
                inShell(c -> new FlowHealthPart().create(c, m, operators, OsgiServices.get(ctx, FlowRepository.class,
                        null), admin, OsgiServices.get(ctx, TokenService.class, null), null, LocalDate.now(),
                        OsgiServices.get(ctx, ConsentHandler.class, "(consent.host=embedded)"), OsgiServices.get(ctx,
                                ConsentHandler.class, "(consent.host=loopback)"), null), shell -> {
                                    assertEquals(none, row(shell, "health.operator.ui-ana").getText(2));
                                    assertEquals(valid, row(shell, "health.operator.ui-luc").getText(2));
                                    assertEquals(refused, row(shell, "health.operator.ui-eva").getText(2));
                                    assertTrue(UiPartsTest.label(shell, "health.notice").contains("Ana Nobody ("),
                                            UiPartsTest.label(shell, "health.notice"));
                                    UiPartsTest.screenshot(shell, "flow-health-words-" + locale.getLanguage());
                                    // the row's own button: that operator's consent, as the sign-in action opens it
                                    Button signIn = UiPartsTest.widget(shell, "health.signin.ui-eva");
                                    assertEquals(m.get("signin.title"), signIn.getText());
                                    signIn.notifyListeners(SWT.Selection, new Event());
                                    UiPartsTest.pump();
                                    Shell dialog = Arrays.stream(display.getShells()).filter(s -> "signin.shell"
                                            .equals(s.getData(ProvidersPart.KEY)) && !s.isDisposed()).findFirst()
                                            .orElseThrow(() -> new AssertionError("no sign-in dialog opened"));
                                    try {
                                        assertTrue(UiPartsTest.label(dialog, "signin.who").contains("Eva Refused"),
                                                UiPartsTest.label(dialog, "signin.who"));
                                    } finally {
                                        dialog.dispose();
                                    }
                                });
                inShell(c -> new OperatorsPart().create(c, m, operators, OsgiServices.get(ctx, FlowRepository.class,
                        null), OsgiServices.get(ctx, org.envoi.api.flow.SettingsRepository.class, null), OsgiServices
                                .get(ctx, TokenService.class, null)), shell -> {
                                    Table t = UiPartsTest.widget(shell, "operators.table");
                                    TableItem luc = Arrays.stream(t.getItems()).filter(i -> "ui-luc".equals(i
                                            .getData())).findFirst().orElseThrow();
                                    assertEquals(valid, luc.getText(4));
                                });
            }
        } finally {
            for (String o : List.of("ui-ana", "ui-luc", "ui-eva")) {
                operators.remove(o);
            }
            admin.remove(flowId);
        }
    }

    private static TableItem row(Shell shell, String key) {
        Table t = UiPartsTest.widget(shell, "health.table");
        return Arrays.stream(t.getItems()).filter(i -> key.equals(i.getData(ProvidersPart.KEY))).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + key));
    }

    /** A sign-in as the engine stores it. */
    private static String credential(String state, Instant expires, String reason) {
        long now = Instant.now().getEpochSecond();
        return "{\"version\":1,\"access\":\"at\",\"refresh\":\"rt\",\"expiresAt\":" + expires.getEpochSecond()
                + ",\"scopes\":[],\"state\":\"" + state + "\"" + (reason == null ? "" : ",\"reason\":\"" + reason
                        + "\"") + ",\"lastRefresh\":" + now + ",\"signedIn\":" + now + ",\"clientId\":"
                + "\"11111111-2222-3333-4444-555555555555\",\"tokenUri\":"
                + "\"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token\"}";
    }

    /** "Pause sending" holds the product's real sender; Flow health says so; switched off, the queued mail goes. */
    @Test
    void pauseSendingHoldsTheSenderAndFlowHealthSaysSo() throws Exception {
        OutboxSenders senders = OsgiServices.get(ctx, OutboxSenders.class, null);
        Outbox outbox = OsgiServices.get(ctx, Outbox.class, null);
        Messages en = Messages.of(Locale.ENGLISH);
        try {
            inShell(c -> new OutboxPart().create(c, en, outbox, senders), shell -> {
                Button pause = UiPartsTest.widget(shell, "outbox.pause");
                assertEquals("Pause sending", pause.getText());
                assertFalse(pause.getSelection());
                pause.setSelection(true);
                pause.notifyListeners(SWT.Selection, new Event());
                UiPartsTest.pump();
                assertTrue(senders.activity().paused(), "the sender is paused");
                assertEquals(en.get("outbox.paused"), UiPartsTest.label(shell, "outbox.sending"));
                UiPartsTest.screenshot(shell, "outbox-paused-en");
                long id = outbox.enqueue("no-such-flow", "ui-op", new OutgoingMail("ui-pause-" + System.nanoTime()
                        + "@example.test", "a@example.test", List.of("b@example.test"), List.of(), List.of(),
                        "En pause", "Bonjour", false, OutgoingMail.Priority.NORMAL, Optional.empty(), List.of()));
                inShell(c -> new FlowHealthPart().create(c, en, OsgiServices.get(ctx, OperatorRepository.class,
                        null), OsgiServices.get(ctx, FlowRepository.class, null), OsgiServices.get(ctx,
                                FlowAdmin.class, null), OsgiServices.get(ctx, TokenService.class, null), null,
                        LocalDate.now(), null, null, senders), health -> assertTrue(UiPartsTest.label(health,
                                "health.notice").contains(en.get("health.paused")), UiPartsTest.label(health,
                                        "health.notice")));
                assertEquals(OutboxEntry.State.QUEUED, outbox.entry(id).orElseThrow().state(), "held while paused");
                pause.setSelection(false);
                pause.notifyListeners(SWT.Selection, new Event());
                // resumed: the sender takes it at once (and fails it: its flow does not exist)
                assertTrue(pumpUntil(() -> outbox.entry(id).orElseThrow().state() == OutboxEntry.State.FAILED, 20),
                        outbox.entry(id).toString());
                assertTrue(pumpUntil(() -> UiPartsTest.label(shell, "outbox.sending").isEmpty(), 5), UiPartsTest
                        .label(shell, "outbox.sending"));
            });
        } finally {
            senders.resume();
        }
    }

    /**
     * While the product's real sender has a batch on the wire (held by a relay that accepts and never greets), the
     * Outbox shows it: a bar and "Sending: 1 of n"; once the relay drops the connection, the bar goes.
     */
    @Test
    void theOutboxShowsTheBatchOnTheWire() throws Exception {
        OutboxSenders senders = OsgiServices.get(ctx, OutboxSenders.class, null);
        Outbox outbox = OsgiServices.get(ctx, Outbox.class, null);
        FlowAdmin admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        Messages en = Messages.of(Locale.ENGLISH);
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            String id = "ui-batch-" + System.nanoTime();
            admin.save(new Flow(id, "Slow relay", FlowType.BASIC, "custom", new ProviderFields("", "", "", List.of(),
                    ConsentHost.PRINT, false), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(
                            MailServer.of("127.0.0.1", silent.getLocalPort(), TlsMode.NONE).withTimeout(Duration
                                    .ofMinutes(1))), Optional.empty(), Optional.empty(), "compta", Optional.empty(),
                    0, Optional.empty()), Optional.of("the-password"));
            operators.save(new Operator("ui-batch", "Opérateur", "op@example.test", Optional.empty(), Optional.of(
                    id), "", ""));
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return silent.accept();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (int i = 0; i < 3; i++) {
                outbox.enqueue(id, "ui-batch", new OutgoingMail("ui-batch-" + i + "-" + System.nanoTime()
                        + "@example.test", "a@example.test", List.of("b@example.test"), List.of(), List.of(),
                        "Lot " + i, "Bonjour", false, OutgoingMail.Priority.NORMAL, Optional.empty(), List.of()));
            }
            senders.wake();
            inShell(c -> new OutboxPart().create(c, en, outbox, senders), shell -> {
                try (Socket held = waitFor(accepted, 20)) {
                    ProgressBar bar = UiPartsTest.widget(shell, "outbox.progress");
                    assertTrue(pumpUntil(() -> UiPartsTest.label(shell, "outbox.sending").startsWith("Sending: 1 of"),
                            5), UiPartsTest.label(shell, "outbox.sending"));
                    assertTrue(bar.isVisible(), "the bar shows while the batch goes");
                    assertTrue(bar.getMaximum() >= 3, "the batch: " + bar.getMaximum());
                    UiPartsTest.screenshot(shell, "outbox-sending-en");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                // the relay dropped the connection: the batch ends (put off), the bar goes
                assertTrue(pumpUntil(() -> !UiPartsTest.<ProgressBar>widget(shell, "outbox.progress").isVisible(),
                        20), UiPartsTest.label(shell, "outbox.sending"));
            });
            operators.remove("ui-batch");
            admin.remove(id);
        }
    }

    /** The sign-in runs as a job: a moving bar and Cancel while the provider does not answer; Cancel answers at once. */
    @Test
    void aSignInWaitingOnTheProviderShowsItsProgressAndCancels() throws Exception {
        TokenService tokens = OsgiServices.get(ctx, TokenService.class, null);
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            URI endpoint = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/oauth");
            OAuthClient client = new OAuthClient("ui-cancel-" + System.nanoTime(), "custom", endpoint, endpoint,
                    Optional.of(endpoint), "envoi-desktop", false, List.of("openid"), Optional.empty(), Map.of());
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return silent.accept();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Shell parent = new Shell(display);
            try {
                SignInDialog dialog = new SignInDialog(parent, Messages.of(Locale.FRENCH), tokens,
                        new FlowAdmin.SignInTarget(client, "ui-remote"), null, null);
                dialog.open();
                Shell shell = dialog.shell();
                UiPartsTest.click(shell, "signin.device");
                try (Socket held = waitFor(accepted, 20)) { // the device request is on the wire, unanswered
                    assertTrue(UiPartsTest.<ProgressBar>widget(shell, "signin.progress").isVisible());
                    assertTrue(UiPartsTest.<Button>widget(shell, "signin.cancel").isEnabled());
                    assertFalse(UiPartsTest.<Button>widget(shell, "signin.device").isEnabled());
                    UiPartsTest.screenshot(shell, "signin-waiting-fr");
                    UiPartsTest.click(shell, "signin.cancel");
                    assertEquals("Connexion annul\u00e9e.", UiPartsTest.label(shell, "signin.status"));
                    assertFalse(UiPartsTest.<ProgressBar>widget(shell, "signin.progress").isVisible());
                    assertTrue(UiPartsTest.<Button>widget(shell, "signin.device").isEnabled(), "it can start again");
                }
            } finally {
                parent.dispose();
            }
        }
    }
}
