package org.envoi.ui.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

import org.eclipse.swt.SWT;
import org.eclipse.swt.graphics.GC;
import org.eclipse.swt.graphics.Image;
import org.eclipse.swt.graphics.ImageData;
import org.eclipse.swt.graphics.ImageLoader;
import org.eclipse.swt.layout.FillLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Combo;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Event;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.envoi.ui.parts.FlowHealthPart;
import org.envoi.ui.parts.FlowsPart;
import org.envoi.ui.parts.Messages;
import org.envoi.ui.parts.OutboxPart;
import org.envoi.ui.parts.ProvidersPart;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/**
 * The parts on a real SWT display (Xvfb in CI), wired to the real DS services, driven through their widgets found by
 * data key. Every main screen is saved under {@code target/screenshots/} for a reviewer.
 */
class UiPartsTest {

    private static Display display;
    private static BundleContext ctx;
    private static final Path SHOTS = Path.of(System.getProperty("envoi.data", "target/envoi-data")).getParent()
            .resolve("screenshots");

    @BeforeAll
    static void open() {
        requireDisplay();
        display = Display.getDefault();
        ctx = OsgiServices.context(UiPartsTest.class);
    }

    // the display stays: it is the test JVM's default display, which the embedded consent host uses too

    /** Builds a part in a fresh shell, shows it, hands it over, then closes it. */
    private static void inShell(String title, Consumer<Composite> build, Consumer<Shell> drive) {
        Shell shell = new Shell(display);
        shell.setText(title);
        shell.setLayout(new FillLayout());
        shell.setSize(1150, 900);
        Composite c = new Composite(shell, SWT.NONE);
        build.accept(c);
        shell.open();
        pump();
        if (find(shell, "flows.new") != null) {
            click(shell, "flows.new"); // a new flow, whatever the list shows
            // the presets are the installed providers, sorted by name: these tests write Microsoft 365 flows
            select(shell, "flow.preset", "Microsoft 365");
        }
        try {
            drive.accept(shell);
        } finally {
            shell.dispose();
        }
    }

    /** Skips on a developer's machine without X, fails in CI (see TestServers.missing). */
    static void requireDisplay() {
        String d = System.getenv("DISPLAY");
        if (d == null || d.isBlank()) {
            TestServers.missing("no X display: run the tests under xvfb-run (README)");
        }
    }

    /** Runs what the display has pending, then lets the other threads work for a moment. */
    static void pump(Display display) {
        while (display.readAndDispatch()) {
            // run what is pending
        }
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void pump() {
        Display display = Display.getDefault();
        for (int i = 0; i < 20; i++) {
            while (display.readAndDispatch()) {
                // run what is pending
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends Control> T find(Control root, String key) {
        if (key.equals(root.getData(ProvidersPart.KEY))) {
            return (T) root;
        }
        if (root instanceof Composite c) {
            for (Control child : c.getChildren()) {
                T found = find(child, key);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    static <T extends Control> T widget(Control shell, String key) {
        T w = find(shell, key);
        if (w == null) {
            throw new AssertionError("no widget with key " + key);
        }
        return w;
    }

    static void type(Shell shell, String key, String value) {
        Text t = widget(shell, key);
        t.setText(value);
        pump();
    }

    static void click(Shell shell, String key) {
        Button b = widget(shell, key);
        b.notifyListeners(SWT.Selection, new Event());
        pump();
    }

    static String label(Shell shell, String key) {
        return UiPartsTest.<Label>widget(shell, key).getText();
    }

    static void screenshot(org.eclipse.swt.widgets.Shell shell, String name) {
        Display display = shell.getDisplay();
        while (display.readAndDispatch()) {
            // paint what is pending
        }
        org.eclipse.swt.graphics.Point size = shell.getSize();
        Image image = new Image(display, size.x, size.y);
        GC gc = new GC(shell);
        try {
            gc.copyArea(image, 0, 0);
            ImageLoader loader = new ImageLoader();
            loader.data = new ImageData[] { image.getImageData() };
            Files.createDirectories(SHOTS);
            loader.save(SHOTS.resolve(name + ".png").toString(), SWT.IMAGE_PNG);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            gc.dispose();
            image.dispose();
        }
    }

    private static FlowsPart flowsPart(Composite c, Messages m) {
        FlowsPart p = new FlowsPart();
        p.create(c, m, OsgiServices.get(ctx, FlowAdmin.class, null), OsgiServices.get(ctx, FlowRepository.class,
                null), OsgiServices.get(ctx, ProviderRegistry.class, null), OsgiServices.get(ctx, FlowTester.class,
                        null));
        return p;
    }

    @Test
    void aMicrosoftFlowFromThePresetWithValidationAsTheAdministratorTypes() {
        String id = "ui-m365-" + System.nanoTime();
        inShell("Envoi - flows", c -> flowsPart(c, Messages.of(Locale.ENGLISH)), shell -> {
            assertEquals("smtp.office365.com", UiPartsTest.<Text>widget(shell, "flow.smtp.host").getText(),
                    "the Microsoft 365 preset fills the servers");
            assertEquals("587", UiPartsTest.<Text>widget(shell, "flow.smtp.port").getText());
            type(shell, "flow.id", id);
            type(shell, "flow.clientId", "11111111-2222-3333-4444-555555555555");
            assertEquals("", label(shell, "problem.tenant"), "the tenant, not touched yet, is not flagged");
            click(shell, "flow.save"); // Save flags every field, the empty tenant with them
            assertFalse(label(shell, "problem.tenant").isEmpty(), () -> "an empty tenant is flagged on Save; status: "
                    + label(shell, "flow.status") + "; client id problem: " + label(shell, "problem.clientId"));
            type(shell, "flow.tenant", "contoso.onmicrosoft.com");
            assertEquals("", label(shell, "problem.tenant"));
            type(shell, "flow.smtp.port", "70000");
            assertTrue(label(shell, "problem.smtp.port").contains("65535"), label(shell, "problem.smtp.port"));
            screenshot(shell, "flows-validation");
            type(shell, "flow.smtp.port", "587");
            assertEquals("", label(shell, "problem.smtp.port"));
            type(shell, "flow.secret", "a-very-secret-value");
            click(shell, "flow.save");
            assertTrue(label(shell, "flow.status").contains(id), label(shell, "flow.status"));
            assertEquals("", UiPartsTest.<Text>widget(shell, "flow.secret").getText(),
                    "the secret is not kept in the field");
            assertEquals("set (type to replace)", label(shell, "flow.secret.state"));
            screenshot(shell, "flows");
        });
        assertTrue(OsgiServices.get(ctx, FlowRepository.class, null).flow(id).isPresent());
        assertEquals(Optional.of("a-very-secret-value"), OsgiServices.get(ctx, TokenVault.class, null).read(
                VaultKey.clientSecret(id)));
    }

    @Test
    void aSavedFlowShowsBackWithoutItsSecret() {
        String id = "ui-back-" + System.nanoTime();
        inShell("Envoi - flows", c -> flowsPart(c, Messages.of(Locale.ENGLISH)), shell -> {
            type(shell, "flow.id", id);
            type(shell, "flow.clientId", "11111111-2222-3333-4444-555555555555");
            type(shell, "flow.tenant", "contoso.onmicrosoft.com");
            type(shell, "flow.secret", "never-shown-again");
            click(shell, "flow.save");
            click(shell, "flows.new");
            assertEquals("", UiPartsTest.<Text>widget(shell, "flow.id").getText());
            Table list = widget(shell, "flows.list");
            int index = -1;
            for (int i = 0; i < list.getItemCount(); i++) {
                if (id.equals(list.getItem(i).getData())) {
                    index = i;
                }
            }
            assertTrue(index >= 0, "the flow is listed");
            list.select(index);
            list.notifyListeners(SWT.Selection, new Event());
            pump();
            assertEquals(id, UiPartsTest.<Text>widget(shell, "flow.id").getText());
            assertEquals("", UiPartsTest.<Text>widget(shell, "flow.secret").getText(), "write-only");
            assertEquals("set (type to replace)", label(shell, "flow.secret.state"));
        });
    }

    @Test
    void theScreensSpeakFrenchWhenTheLocaleIsFrench() {
        inShell("Envoi - flux", c -> flowsPart(c, Messages.of(Locale.FRENCH)), shell -> {
            assertEquals("Enregistrer", UiPartsTest.<Button>widget(shell, "flow.save").getText());
            assertEquals("Tester le service", UiPartsTest.<Button>widget(shell, "flow.test").getText());
            assertEquals("non d\u00e9fini", label(shell, "flow.secret.state"));
            screenshot(shell, "flows-fr");
        });
        assertEquals("Bo\u00eete d'envoi", Messages.of(Locale.FRANCE).get("outbox.title"));
        assertEquals("Outbox", Messages.of(Locale.GERMAN).get("outbox.title"), "English otherwise");
    }

    @Test
    void theOutboxShowsEachMailWithItsStateAndReason() throws Exception {
        Outbox outbox = OsgiServices.get(ctx, Outbox.class, null);
        long id = outbox.enqueue("no-such-flow", "ui-op", new OutgoingMail("ui-" + System.nanoTime()
                + "@example.test", "a@example.test", List.of("b@example.test"), List.of(), List.of(),
                "BL 0042 pour Dupuis", "Bonjour", false, OutgoingMail.Priority.NORMAL, Optional.empty(), List.of()));
        long deadline = System.nanoTime() + 20_000_000_000L; // the background sender finds no flow for it
        while (outbox.entry(id).orElseThrow().state() != org.envoi.api.mail.OutboxEntry.State.FAILED
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        inShell("Envoi - outbox", c -> new OutboxPart().create(c, Messages.of(Locale.ENGLISH), outbox), shell -> {
            Table t = widget(shell, "outbox.table");
            org.eclipse.swt.widgets.TableItem row = null;
            for (org.eclipse.swt.widgets.TableItem i : t.getItems()) {
                if (Long.valueOf(id).equals(i.getData())) {
                    row = i;
                }
            }
            assertTrue(row != null, "the mail is listed");
            assertEquals("BL 0042 pour Dupuis", row.getText(1));
            assertEquals("FAILED", row.getText(2));
            assertTrue(row.getText(4).contains("NO_FLOW_FOR_OPERATOR"), row.getText(4));
            assertTrue(label(shell, "outbox.counts").contains("Failed"), label(shell, "outbox.counts"));
            screenshot(shell, "outbox");
        });
    }

    @Test
    void aMailSettingIsPreviewedLiveAndAnUnknownKeywordIsRefused() {
        org.envoi.api.flow.SettingsRepository settings = OsgiServices.get(ctx,
                org.envoi.api.flow.SettingsRepository.class, null);
        settings.save(new org.envoi.api.flow.Company("ACME SARL", "ACME SARL, Paris", Optional.empty(), "image/png"));
        org.envoi.api.flow.MailSetting bl = settings.mailSetting("BL").orElseThrow();
        settings.save(new org.envoi.api.flow.MailSetting("BL", bl.label(), "[SOCIETE] - Bon de livraison [ID_BL]",
                bl.body(), false, bl.priority(), bl.readReceipt(), bl.copyToSender(), "BL_[ID_BL].pdf", bl.keepCopy(),
                bl.copyFileType(), bl.signature())); // as seeded, whatever an earlier run saved
        inShell("Envoi - mail settings", c -> new org.envoi.ui.parts.MailSettingsPart().create(c, Messages.of(
                Locale.ENGLISH), settings, OsgiServices.get(ctx, org.envoi.api.diffusion.Diffusion.class, null)),
                shell -> {
                    Combo code = widget(shell, "settings.code");
                    code.select(code.indexOf("BL"));
                    code.notifyListeners(SWT.Selection, new Event());
                    pump();
                    assertEquals("ACME SARL - Bon de livraison BL-2026-0042   \u2014   BL_BL-2026-0042.pdf",
                            label(shell, "settings.preview.subject"));
                    assertTrue(UiPartsTest.<Text>widget(shell, "settings.preview.body").getText().contains(
                            "ACME SARL, Paris"), "the company's footer is in the preview");
                    type(shell, "settings.subject", "[SOCIETE] - BL [ID_BLX]");
                    assertTrue(label(shell, "settings.status").startsWith("UNKNOWN_KEYWORD"), label(shell,
                            "settings.status"));
                    type(shell, "settings.subject", "BL ");
                    Text subject = widget(shell, "settings.subject");
                    subject.notifyListeners(SWT.FocusIn, new Event());
                    subject.setSelection(subject.getText().length());
                    Combo keyword = widget(shell, "settings.keyword");
                    keyword.select(keyword.indexOf("[ID_BL]"));
                    keyword.notifyListeners(SWT.Selection, new Event());
                    pump();
                    assertEquals("BL [ID_BL]", subject.getText(), "the keyword goes where the cursor is");
                    assertTrue(label(shell, "settings.preview.subject").startsWith("BL BL-2026-0042"),
                            label(shell, "settings.preview.subject"));
                    screenshot(shell, "mail-settings");
                    click(shell, "settings.save");
                });
        assertEquals("BL [ID_BL]", settings.mailSetting("BL").orElseThrow().subject());
    }

    @Test
    void anOperatorIsAttachedThroughAGroupThenDirectlyAndTheCompanyGetsItsLogo() throws Exception {
        String flowA = "ui-op-a-" + System.nanoTime();
        String flowB = "ui-op-b-" + System.nanoTime();
        for (String f : List.of(flowA, flowB)) {
            inShell("Envoi - flows", c -> flowsPart(c, Messages.of(Locale.ENGLISH)), shell -> {
                type(shell, "flow.id", f);
                type(shell, "flow.clientId", "11111111-2222-3333-4444-555555555555");
                type(shell, "flow.tenant", "contoso.onmicrosoft.com");
                click(shell, "flow.save");
            });
        }
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        org.envoi.api.flow.SettingsRepository settings = OsgiServices.get(ctx,
                org.envoi.api.flow.SettingsRepository.class, null);
        Path logo = Files.createTempFile("logo", ".png");
        Files.write(logo, java.util.Base64.getDecoder().decode(
                "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="));
        String group = "ui-ventes-" + System.nanoTime();
        String op = "ui-paul-" + System.nanoTime();
        inShell("Envoi - operators", c -> new org.envoi.ui.parts.OperatorsPart().create(c, Messages.of(
                Locale.ENGLISH), operators, OsgiServices.get(ctx, FlowRepository.class, null), settings), shell -> {
                    type(shell, "group.id", group);
                    type(shell, "group.name", "Ventes");
                    select(shell, "group.flow", flowA);
                    click(shell, "group.save");
                    type(shell, "operator.id", op);
                    type(shell, "operator.name", "Paul Durand");
                    type(shell, "operator.email", "paul@example.test");
                    select(shell, "operator.group", group);
                    select(shell, "operator.flow", "-");
                    type(shell, "operator.signature", "Paul - service client");
                    click(shell, "operator.save");
                    assertEquals(Optional.of(flowA), operators.flowOf(op), "inherited from the group");
                    select(shell, "operator.flow", flowB);
                    click(shell, "operator.save");
                    assertEquals(Optional.of(flowB), operators.flowOf(op), "a flow of his own wins");
                    Table t = widget(shell, "operators.table");
                    boolean shown = false;
                    for (org.eclipse.swt.widgets.TableItem i : t.getItems()) {
                        shown |= op.equals(i.getData()) && flowB.equals(i.getText(3));
                    }
                    assertTrue(shown, "the table shows the flow the operator uses");
                    type(shell, "company.name", "ACME SARL");
                    type(shell, "company.logo", logo.toString());
                    click(shell, "company.save");
                    screenshot(shell, "operators");
                    type(shell, "company.logo", "/no/such/logo.png");
                    click(shell, "company.save");
                    assertTrue(label(shell, "operators.status").contains("/no/such/logo.png"), label(shell,
                            "operators.status"));
                });
        assertTrue(settings.company().logo().isPresent(), "the logo was stored");
        assertEquals("ACME SARL", settings.company().name());
    }

    static void select(Shell shell, String key, String item) {
        Combo c = widget(shell, key);
        int i = c.indexOf(item);
        assertTrue(i >= 0, () -> item + " is not offered in " + key);
        c.select(i);
        c.notifyListeners(SWT.Selection, new Event());
        pump();
    }

    @Test
    void flowHealthSaysWhoMustSignIn() {
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        String flowId = "ui-health-" + System.nanoTime();
        inShell("Envoi - flows", c -> flowsPart(c, Messages.of(Locale.ENGLISH)), shell -> {
            type(shell, "flow.id", flowId);
            type(shell, "flow.clientId", "11111111-2222-3333-4444-555555555555");
            type(shell, "flow.tenant", "contoso.onmicrosoft.com");
            type(shell, "flow.expiry", LocalDate.now().plusDays(12).toString());
            click(shell, "flow.save");
        });
        operators.save(new Operator("ui-marie", "Marie Martin", "marie@example.test", Optional.empty(),
                Optional.of(flowId), "", ""));
        inShell("Envoi - flow health", c -> new FlowHealthPart().create(c, Messages.of(Locale.ENGLISH), operators,
                OsgiServices.get(ctx, FlowRepository.class, null), OsgiServices.get(ctx, FlowAdmin.class, null),
                OsgiServices.get(ctx, TokenService.class, null), LocalDate.now()), shell -> {
                    String notice = label(shell, "health.notice");
                    assertTrue(notice.contains("Marie Martin") && notice.contains(
                            "Nobody has signed in yet: click Sign in."), notice);
                    assertTrue(notice.contains("expires in 12 days"), notice);
                    screenshot(shell, "flow-health");
                });
    }

    /**
     * Issue 18.7: a sign-in that lapses within a week is in the notice with the keeper's sentence (when, who must
     * act), and its row says by when. Microsoft's limit: 90 days unused; this one was last refreshed 85 days ago.
     */
    @Test
    void flowHealthSaysAWeekAheadWhoseSignInLapses() {
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        org.envoi.api.vault.TokenVault vault = OsgiServices.get(ctx, org.envoi.api.vault.TokenVault.class, null);
        String flowId = "ui-lapse-" + System.nanoTime();
        inShell("Envoi - flows", c -> flowsPart(c, Messages.of(Locale.ENGLISH)), shell -> {
            type(shell, "flow.id", flowId);
            type(shell, "flow.clientId", "11111111-2222-3333-4444-555555555555");
            type(shell, "flow.tenant", "contoso.onmicrosoft.com");
            click(shell, "flow.save");
        });
        operators.save(new Operator("ui-paul", "Paul Durand", "paul@example.test", Optional.empty(),
                Optional.of(flowId), "", ""));
        java.time.Instant last = java.time.Instant.now().minus(java.time.Duration.ofDays(85)).truncatedTo(
                java.time.temporal.ChronoUnit.SECONDS);
        // the sign-in as the engine stores it
        vault.write(org.envoi.api.vault.VaultKey.tokens(flowId, "ui-paul"), "{\"version\":1,\"access\":\"at\","
                + "\"refresh\":\"rt\",\"expiresAt\":" + last.plusSeconds(3600).getEpochSecond() + ",\"scopes\":[],"
                + "\"state\":\"VALID\",\"lastRefresh\":" + last.getEpochSecond() + ",\"clientId\":"
                + "\"11111111-2222-3333-4444-555555555555\",\"tokenUri\":"
                + "\"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token\"}");
        java.time.Instant lapses = last.plus(java.time.Duration.ofDays(90));
        inShell("Envoi - flow health", c -> new FlowHealthPart().create(c, Messages.of(Locale.ENGLISH), operators,
                OsgiServices.get(ctx, FlowRepository.class, null), OsgiServices.get(ctx, FlowAdmin.class, null),
                OsgiServices.get(ctx, TokenService.class, null), OsgiServices.get(ctx,
                        org.envoi.api.oauth.SignInKeeper.class, null), LocalDate.now()), shell -> {
                    String notice = label(shell, "health.notice");
                    assertTrue(notice.contains("Paul Durand") && notice.contains("lapses at " + lapses) && notice
                            .contains("operator 'ui-paul' must sign in again"), notice);
                    org.eclipse.swt.widgets.Table table = widget(shell, "health.table");
                    org.eclipse.swt.widgets.TableItem row = java.util.Arrays.stream(table.getItems()).filter(i ->
                            "health.operator.ui-paul".equals(i.getData(ProvidersPart.KEY))).findFirst().orElseThrow();
                    // issue 19.4: in words, the date in the user's locale
                    String on = java.time.format.DateTimeFormatter.ofLocalizedDate(java.time.format.FormatStyle.LONG)
                            .withLocale(Locale.ENGLISH).format(lapses.atZone(java.time.ZoneId.systemDefault()));
                    assertTrue(row.getText(2).endsWith("Unless it is used, the sign-in lapses on " + on + "."), row
                            .getText(2));
                });
        vault.delete(org.envoi.api.vault.VaultKey.tokens(flowId, "ui-paul"));
    }

    /**
     * Issue 18.7: the editor draws the fields the flow's provider describes, as it does a transport's: a Google flow
     * says whether its app is in "Testing" (sign-ins that lapse 7 days after signing in); another provider has none.
     */
    @Test
    void theEditorDrawsTheProvidersFieldsAndSavesThem() {
        String flowId = "ui-gtest-" + System.nanoTime();
        FlowRepository flows = OsgiServices.get(ctx, FlowRepository.class, null);
        inShell("Envoi - flows", c -> flowsPart(c, Messages.of(Locale.ENGLISH)), shell -> {
            select(shell, "flow.preset", "Google (Gmail, Workspace)");
            Combo status = widget(shell, "flow.setting.google.publishingStatus");
            assertEquals(List.of("production", "testing"), List.of(status.getItems()));
            assertEquals("production", status.getText(), "the default is shown");
            select(shell, "flow.setting.google.publishingStatus", "testing");
            type(shell, "flow.id", flowId);
            type(shell, "flow.clientId", "1234567890-abc123def456.apps.googleusercontent.com");
            click(shell, "flow.save");
            select(shell, "flow.preset", "Microsoft 365");
            assertEquals(null, find(shell, "flow.setting.google.publishingStatus"), "Microsoft describes no such field");
        });
        assertEquals("testing", flows.flow(flowId).orElseThrow().settings().get("google.publishingStatus"));
        OsgiServices.get(ctx, FlowAdmin.class, null).remove(flowId);
    }
}
