package org.envoi.ui.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.FillLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Combo;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Event;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.EndpointTemplate;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldDescription.Kind;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailCapability;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.TransportRegistry;
import org.envoi.ui.parts.FlowsPart;
import org.envoi.ui.parts.Messages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Issue 17: the flows editor offers what the services describe. A provider, a transport and a file store that
 * Envoi has never seen (this fragment's own small classes, registered as services the way a bundle installed from the
 * update site registers them) appear in the open editor, their fields drawn from their descriptions, their values
 * saved into the flow's settings, and disappear when they are unregistered.
 */
class FlowsEditorServicesTest {

    private static Display display;
    private static BundleContext ctx;

    @BeforeAll
    static void open() {
        UiPartsTest.requireDisplay();
        display = Display.getDefault();
        ctx = OsgiServices.context(FlowsEditorServicesTest.class);
    }

    @Test
    void aProviderTransportAndFileStoreInstalledWhileTheEditorIsOpenAreOfferedDrawnSavedAndWithdrawn() {
        String id = "ui-drop-" + System.nanoTime();
        FlowAdmin realAdmin = OsgiServices.get(ctx, FlowAdmin.class, null);
        List<Flow> saved = new ArrayList<>();
        FlowAdmin admin = recording(realAdmin, saved);
        FlowRepository flows = OsgiServices.get(ctx, FlowRepository.class, null);
        Shell shell = new Shell(display);
        shell.setText("Envoi - flows (drop-in services)");
        shell.setLayout(new FillLayout());
        shell.setSize(1150, 1000);
        Composite c = new Composite(shell, SWT.NONE);
        new FlowsPart().create(c, Messages.of(Locale.ENGLISH), admin, flows, OsgiServices.get(ctx,
                ProviderRegistry.class, null), OsgiServices.get(ctx, TransportRegistry.class, null), OsgiServices.get(
                        ctx, FlowTester.class, null), null);
        shell.open();
        UiPartsTest.pump();
        UiPartsTest.click(shell, "flows.new"); // a new flow, whatever stored flow the list selects first
        List<ServiceRegistration<?>> registrations = new ArrayList<>();
        try {
            Combo preset = UiPartsTest.widget(shell, "flow.preset");
            Combo transport = UiPartsTest.widget(shell, "flow.transport");
            Combo large = UiPartsTest.widget(shell, "flow.files.large");
            assertEquals(-1, preset.indexOf(UiTestProvider.NAME), "not installed yet");
            assertEquals(-1, transport.indexOf(UiTestTransport.NAME));
            String custom = Messages.of(Locale.ENGLISH).get("flows.preset.custom");
            assertTrue(preset.indexOf(custom) >= 0, "custom is always offered");
            assertFalse(transport.getText().isEmpty(), "a new flow sends over SMTP, offered even before its service"
                    + " is there");

            registrations.add(ctx.registerService(MailProvider.class, new UiTestProvider(), props(
                    MailProvider.PROVIDER_ID, UiTestProvider.ID)));
            registrations.add(ctx.registerService(MailTransport.class, new UiTestTransport(), props(
                    MailTransport.TRANSPORT_ID, UiTestTransport.ID)));
            registrations.add(ctx.registerService(FileStore.class, new UiTestStore(), props(FileStore.STORE_ID,
                    UiTestStore.ID)));
            await(() -> preset.indexOf(UiTestProvider.NAME) >= 0 && transport.indexOf(UiTestTransport.NAME) >= 0
                    && large.indexOf(UiTestStore.NAME) >= 0, "the editor offers the new provider, transport and store");

            UiPartsTest.select(shell, "flow.preset", UiTestProvider.NAME);
            assertEquals("smtp.uitest.example", UiPartsTest.<Text>widget(shell, "flow.smtp.host").getText(),
                    "the provider's preset fills the servers");
            assertEquals(UiTestProvider.NAME, UiPartsTest.<Text>widget(shell, "flow.name").getText());
            assertTrue(UiPartsTest.<Text>widget(shell, "flow.tenant").getEnabled(),
                    "its endpoints name a {tenant}: the tenant is asked for");
            UiPartsTest.type(shell, "flow.id", id);
            UiPartsTest.type(shell, "flow.clientId", "uitest-client");
            assertEquals("", UiPartsTest.label(shell, "problem.tenant"), "not touched yet: nothing shown");
            UiPartsTest.click(shell, "flow.save"); // Save shows every field's problem
            assertEquals("the UI test provider needs its tenant", UiPartsTest.label(shell, "problem.tenant"),
                    "the provider's own validation shows on the field");
            UiPartsTest.type(shell, "flow.tenant", "acme");
            assertEquals("", UiPartsTest.label(shell, "problem.tenant"));

            assertTrue(UiPartsTest.<Text>widget(shell, "flow.smtp.host").isVisible(), "SMTP shows its server");
            UiPartsTest.select(shell, "flow.transport", UiTestTransport.NAME);
            assertFalse(UiPartsTest.<Text>widget(shell, "flow.smtp.host").isVisible(),
                    "a transport that does not use the SMTP server hides it");
            Text url = UiPartsTest.widget(shell, "flow.setting.uitest.url");
            assertEquals("https://uitest.example/v1", url.getText(), "the default is shown");
            assertEquals("Where the UI test transport posts its mail", url.getToolTipText(), "help as tooltip");
            Text retries = UiPartsTest.widget(shell, "flow.setting.uitest.retries");
            assertEquals("3", retries.getText());
            Combo mode = UiPartsTest.widget(shell, "flow.setting.uitest.mode");
            assertEquals(List.of("fast", "careful"), List.of(mode.getItems()));
            assertEquals("fast", mode.getText());
            Button shared = UiPartsTest.widget(shell, "flow.setting.uitest.shared");
            assertFalse(shared.getSelection());

            UiPartsTest.type(shell, "flow.setting.uitest.url", "http://remote.example/");
            assertEquals("use an https address", UiPartsTest.label(shell, "problem.uitest.url"),
                    "the transport's validation shows on its field");
            UiPartsTest.type(shell, "flow.setting.uitest.url", "https://mail.acme.example/api");
            assertEquals("", UiPartsTest.label(shell, "problem.uitest.url"));
            UiPartsTest.type(shell, "flow.setting.uitest.retries", "5");
            UiPartsTest.select(shell, "flow.setting.uitest.mode", "careful");
            shared.setSelection(true);
            shared.notifyListeners(SWT.Selection, new Event());

            UiPartsTest.select(shell, "flow.files.large", UiTestStore.NAME);
            Text folder = UiPartsTest.widget(shell, "flow.setting.uitest.folder");
            assertEquals("Envoi/Large", folder.getText(), "the store's default is shown");
            UiPartsTest.type(shell, "flow.setting.uitest.folder", "Shared/Big files");
            UiPartsTest.screenshot(shell, "flows-transport");

            UiPartsTest.click(shell, "flow.save");
            assertTrue(UiPartsTest.label(shell, "flow.status").contains(id), UiPartsTest.label(shell, "flow.status"));
            Map<String, String> expected = Map.of("uitest.url", "https://mail.acme.example/api", "uitest.retries",
                    "5", "uitest.mode", "careful", "uitest.shared", "true", FileStore.LARGE_FILES, UiTestStore.ID,
                    "uitest.folder", "Shared/Big files");
            assertEquals(1, saved.size());
            assertEquals(UiTestTransport.ID, saved.get(0).transport());
            assertEquals(expected, saved.get(0).settings(), "the settings handed to FlowAdmin.save");
            Flow stored = flows.flow(id).orElseThrow();
            assertEquals(UiTestProvider.ID, stored.providerId());
            assertEquals("acme", stored.oauth().tenant());
            assertEquals(UiTestTransport.ID, stored.transport());
            assertEquals(expected, stored.settings(), "the settings read back through FlowRepository");
            assertEquals(List.of("uitest:send", "offline_access"), stored.oauth().scopes(), "the flow asks the"
                    + " provider's scopes as its transport wants them");

            UiPartsTest.click(shell, "flows.new");
            UiPartsTest.select(shell, "flow.transport", UiTestTransport.NAME);
            assertEquals("https://uitest.example/v1", UiPartsTest.<Text>widget(shell, "flow.setting.uitest.url")
                    .getText(), "a new flow starts from the defaults, not from the flow shown before");

            for (ServiceRegistration<?> r : registrations) {
                r.unregister();
            }
            registrations.clear();
            await(() -> preset.indexOf(UiTestProvider.NAME) < 0 && transport.indexOf(UiTestTransport.NAME) < 0
                    && large.indexOf(UiTestStore.NAME) < 0, "the editor withdraws what was uninstalled");
            assertEquals(UiTestTransport.ID + " (not installed)", transport.getText(),
                    "the flow being edited keeps its transport's id, so that saving it loses nothing");
            assertFalse(UiPartsTest.<Text>widget(shell, "flow.smtp.host").isVisible());
            assertTrue(preset.indexOf(custom) >= 0);
        } finally {
            registrations.forEach(ServiceRegistration::unregister);
            shell.dispose();
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            UiPartsTest.pump(display);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    private static Dictionary<String, Object> props(String key, String value) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(key, value);
        return p;
    }

    /** The real FlowAdmin, remembering each flow the editor saves. */
    private static FlowAdmin recording(FlowAdmin real, List<Flow> saved) {
        return (FlowAdmin) java.lang.reflect.Proxy.newProxyInstance(FlowsEditorServicesTest.class.getClassLoader(),
                new Class<?>[] { FlowAdmin.class }, (proxy, method, args) -> {
                    if (method.getName().equals("save")) {
                        saved.add((Flow) args[0]);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** A provider bundle installed later: its endpoints need a tenant, which its validation asks for. */
    static final class UiTestProvider implements MailProvider {
        static final String ID = "uitest";
        static final String NAME = "UI Test Mail";

        @Override
        public String id() {
            return ID;
        }

        @Override
        public String displayName() {
            return NAME;
        }

        @Override
        public ProviderPreset preset() {
            return new ProviderPreset(new EndpointTemplate("https://login.uitest.example/{tenant}/authorize"),
                    new EndpointTemplate("https://login.uitest.example/{tenant}/token"), Optional.empty(), Map.of(
                            MailCapability.SEND, List.of("uitest.mail"), MailCapability.READ_IMAP, List.of(
                                    "uitest.mail"), MailCapability.OFFLINE_ACCESS, List.of("offline_access")),
                    Optional.empty(), new ServerEndpoint("smtp.uitest.example", 587, TlsMode.STARTTLS),
                    new ServerEndpoint("imap.uitest.example", 993, TlsMode.TLS), Optional.empty(), Optional.empty(),
                    ConsentHost.LOOPBACK, Map.of());
        }

        @Override
        public List<FieldProblem> validate(ProviderFields fields) {
            List<FieldProblem> out = new ArrayList<>(fields.commonProblems());
            if (fields.tenant().isEmpty()) {
                out.add(new FieldProblem("tenant", "the UI test provider needs its tenant"));
            }
            return out;
        }

        @Override
        public ProviderError explain(String error, String description) {
            return ProviderError.standard(error, description);
        }
    }

    /** A transport bundle installed later, with one field of each kind the editor draws. */
    static final class UiTestTransport implements MailTransport {
        static final String ID = "uitest";
        static final String NAME = "UI Test Transport";

        @Override
        public String id() {
            return ID;
        }

        @Override
        public String displayName() {
            return NAME;
        }

        @Override
        public List<FieldDescription> fields() {
            return List.of(
                    new FieldDescription("uitest.url", "Endpoint", Kind.URL, "https://uitest.example/v1", List.of(),
                            "Where the UI test transport posts its mail"),
                    new FieldDescription("uitest.retries", "Retries", Kind.NUMBER, "3", List.of(),
                            "How many times a mail is tried"),
                    new FieldDescription("uitest.mode", "Mode", Kind.CHOICE, "fast", List.of("fast", "careful"),
                            "How careful the transport is"),
                    new FieldDescription("uitest.shared", "Shared mailbox", Kind.BOOLEAN, "false", List.of(),
                            "Send as the shared mailbox"));
        }

        /** Its own resource's scopes, as Graph asks Graph's of a Microsoft flow. */
        @Override
        public List<String> scopes(String providerId, List<String> providerScopes, boolean appOnly) {
            return List.of("uitest:send", "offline_access");
        }

        @Override
        public List<FieldProblem> validate(Flow flow) {
            String url = flow.settings().getOrDefault("uitest.url", "https://uitest.example/v1");
            return url.startsWith("https://") ? List.of() : List.of(new FieldProblem("uitest.url",
                    "use an https address"));
        }

        @Override
        public Connection connect(MailRoute route) {
            throw new UnsupportedOperationException("the UI test transport sends nothing");
        }
    }

    /** A file-store bundle installed later. */
    static final class UiTestStore implements FileStore {
        static final String ID = "uitest-files";
        static final String NAME = "UI Test Files";

        @Override
        public String id() {
            return ID;
        }

        @Override
        public String displayName() {
            return NAME;
        }

        @Override
        public List<FieldDescription> fields() {
            return List.of(new FieldDescription("uitest.folder", "Folder", Kind.PATH, "Envoi/Large", List.of(),
                    "Where the documents go"));
        }

        @Override
        public List<FieldProblem> validate(Flow flow) {
            return List.of();
        }

        @Override
        public String resource() {
            return "uitest";
        }

        @Override
        public List<String> scopes(Flow flow) {
            return List.of();
        }

        @Override
        public StoredFile store(Target target, InputStream content, long size) {
            throw new UnsupportedOperationException("the UI test store keeps nothing");
        }

        @Override
        public URI link(Target target, StoredFile file, LinkScope scope, Optional<Instant> expiry) {
            throw new UnsupportedOperationException("the UI test store keeps nothing");
        }
    }
}
