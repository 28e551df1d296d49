package org.envoi.host.sample.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.eclipse.core.runtime.IConfigurationElement;
import org.eclipse.core.runtime.IExtension;
import org.eclipse.core.runtime.IExtensionRegistry;
import org.eclipse.core.runtime.RegistryFactory;
import org.eclipse.e4.ui.model.application.MApplication;
import org.eclipse.e4.ui.model.application.ui.MElementContainer;
import org.eclipse.e4.ui.model.application.ui.MUIElement;
import org.eclipse.e4.ui.model.application.ui.basic.MPart;
import org.eclipse.e4.ui.model.application.ui.basic.MWindow;
import org.eclipse.e4.ui.model.application.ui.menu.MMenu;
import org.eclipse.e4.ui.model.application.ui.menu.MMenuElement;
import org.eclipse.e4.ui.workbench.IWorkbench;
import org.eclipse.e4.ui.workbench.modeling.EModelService;
import org.eclipse.equinox.app.IApplication;
import org.eclipse.equinox.app.IApplicationContext;
import org.eclipse.swt.SWT;
import org.eclipse.swt.graphics.GC;
import org.eclipse.swt.graphics.Image;
import org.eclipse.swt.graphics.ImageData;
import org.eclipse.swt.graphics.ImageLoader;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Event;
import org.eclipse.swt.widgets.Menu;
import org.eclipse.swt.widgets.MenuItem;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableItem;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Envoi inside another company's e4 application: the sample host (its own product id and model, one empty part stack,
 * a main menu {@code org.eclipse.ui.main.menu}, no {@code org.envoi.app}) started with the core, provider and UI
 * features only. Envoi's parts come through {@code org.envoi.ui}'s fragment, each opened from its "Envoi" menu (the
 * menu item clicked as a user would), lands in the host's stack and works on the real services; the ERP's own
 * operators (the sample bundle's {@code OperatorRepository}, ranked above the store's) are the ones shown.
 */
class HostEmbeddingTest {

    private static final String PRODUCT = "org.envoi.host.sample.product";
    private static final String STACK = "org.envoi.host.sample.stack";
    private static final String MAIN_MENU = "org.eclipse.ui.main.menu";
    private static final String ENVOI_MENU = "org.envoi.ui.menu.envoi";
    private static final String KEY = "envoi.id";
    private static final Path SHOTS = Path.of(System.getProperty("envoi.data", "target/envoi-data")).getParent()
            .resolve("screenshots");

    /** Each part's id, its English label (the descriptor's), and a widget that shows it runs on the services. */
    private static final Map<String, String[]> PARTS = new LinkedHashMap<>();
    static {
        PARTS.put("org.envoi.ui.part.flows", new String[] { "Authentication flows", "flows.list" });
        PARTS.put("org.envoi.ui.part.outbox", new String[] { "Outbox", "outbox.table" });
        PARTS.put("org.envoi.ui.part.inbox", new String[] { "Inbox", "inbox.fetch" });
        PARTS.put("org.envoi.ui.part.health", new String[] { "Flow health", "health.table" });
        PARTS.put("org.envoi.ui.part.operators", new String[] { "Operators and company", "operators.table" });
        PARTS.put("org.envoi.ui.part.mailsettings", new String[] { "Mail settings", "settings.save" });
        PARTS.put("org.envoi.ui.part.providers", new String[] { "Mail providers", "providers.table" });
    }

    private final BundleContext ctx = FrameworkUtil.getBundle(HostEmbeddingTest.class).getBundleContext();

    @Test
    void everyEnvoiPartOpensFromTheEnvoiMenuInTheHostsStackOnTheRealServices() throws Exception {
        requireDisplay();
        assertNull(bundle("org.envoi.app"), "the host runs without Envoi's own application bundle");
        String flowId = "host-" + System.nanoTime();
        service(FlowAdmin.class).save(new Flow(flowId, "ERP invoices", FlowType.OAUTH2, "custom", new ProviderFields(
                "", "erp-client", "", List.of("mail"), ConsentHost.PRINT, true), Optional.of(
                        java.net.URI.create("http://127.0.0.1:9/authorize")), Optional.of(java.net.URI.create(
                                "http://127.0.0.1:9/token")), Optional.empty(),
                Optional.of(MailServer.of("127.0.0.1", 9, TlsMode.NONE)), Optional.empty(), Optional.empty(), "erp",
                Optional.of("factures@erp.example"), 5_000_000, Optional.empty()), Optional.of("secret"));

        try (Host host = Host.start(ctx)) {
            MApplication app = host.application();
            List<String> labels = host.ui(() -> {
                MWindow window = app.getChildren().get(0);
                assertEquals(MAIN_MENU, window.getMainMenu().getElementId());
                MMenu envoi = (MMenu) window.getMainMenu().getChildren().stream().filter(m -> ENVOI_MENU.equals(m
                        .getElementId())).findFirst().orElseThrow(() -> new AssertionError("no menu " + ENVOI_MENU
                                + " in the host's main menu: " + window.getMainMenu().getChildren().stream().map(
                                        MMenuElement::getElementId).toList()));
                assertEquals("Envoi", envoi.getLocalizedLabel());
                return envoi.getChildren().stream().map(MMenuElement::getLocalizedLabel).toList();
            });
            assertEquals(PARTS.values().stream().map(p -> p[0]).toList(), labels,
                    "one item per part, labelled as the part");

            for (Map.Entry<String, String[]> p : PARTS.entrySet()) {
                String id = p.getKey();
                String label = p.getValue()[0];
                host.ui(() -> {
                    clickEnvoiMenuItem(app, label);
                    return null;
                });
                host.waitFor(id + " shown", () -> host.ui(() -> {
                    MPart part = part(app, id);
                    return part != null && part.getWidget() instanceof Control c && c.isVisible();
                }));
                host.ui(() -> {
                    MPart part = part(app, id);
                    MElementContainer<?> parent = part.getParent();
                    assertEquals(STACK, parent.getElementId(), id + " opens in the host's stack");
                    assertEquals(part, parent.getSelectedElement(), id + " is the stack's selected part");
                    assertEquals(label, part.getLocalizedLabel());
                    assertNotNull(find((Control) part.getWidget(), p.getValue()[1]), id + " shows " + p.getValue()[1]);
                    return null;
                });
                if (id.endsWith(".flows")) {
                    host.waitFor("the flow saved through FlowAdmin in the flows list", () -> host.ui(() -> rows(app,
                            id, "flows.list").stream().anyMatch(r -> r.contains(flowId))));
                }
                if (id.endsWith(".operators")) {
                    // the ERP's operators (sample bundle, ranking 100), not the store's
                    host.waitFor("the ERP's operators in the Operators part", () -> host.ui(() -> {
                        List<String> rows = rows(app, id, "operators.table");
                        return rows.stream().anyMatch(r -> r.contains("erp.cdurand") && r.contains(
                                "Claire Durand (ERP)")) && rows.stream().allMatch(r -> r.startsWith("erp."));
                    }));
                }
                if (id.endsWith(".providers")) {
                    host.waitFor("both providers listed", () -> host.ui(() -> {
                        String rows = String.join("\n", rows(app, id, "providers.table"));
                        return rows.contains("Microsoft 365") && rows.contains("Google");
                    }));
                }
                host.ui(() -> {
                    screenshot((Shell) ((MWindow) app.getChildren().get(0)).getWidget(), "host-" + id.substring(id
                            .lastIndexOf('.') + 1) + "-en");
                    return null;
                });
            }
            assertEquals(PARTS.keySet().stream().toList(), host.ui(() -> {
                MPart any = part(app, "org.envoi.ui.part.flows");
                return any.getParent().getChildren().stream().map(MUIElement::getElementId).toList();
            }), "the seven parts, once each, in the host's one stack");
        }
    }

    /**
     * Envoi's DS components take the highest-ranked {@code OperatorRepository}, also when the ERP's arrives after
     * they were activated with the store's (static greedy references: SCR re-activates them with the better one).
     */
    @Test
    void envoiComponentsBindTheHighestRankedOperatorRepository() throws Exception {
        Bundle sample = bundle("org.envoi.sample.operators");
        assertNotNull(sample, "the sample ERP bundle is in the runtime");
        ServiceComponentRuntime scr = service(ServiceComponentRuntime.class);
        List<ComponentDescriptionDTO> consumers = scr.getComponentDescriptionDTOs().stream().filter(d -> Arrays
                .stream(d.references).anyMatch(r -> OperatorRepository.class.getName().equals(r.interfaceName)))
                .toList();
        assertTrue(consumers.size() >= 5, "Envoi's components that use operators: " + consumers.stream().map(
                d -> d.name).toList());

        sample.stop();
        use(consumers); // every consumer in use, bound to the only repository left: the store's
        sample.start();
        ServiceReference<?> erp = ctx.getServiceReferences(OperatorRepository.class, "(envoi.store=erp)").stream()
                .findFirst().orElseThrow(() -> new AssertionError("the sample's OperatorRepository is registered"));
        long erpId = (Long) erp.getProperty("service.id");
        AtomicReference<List<String>> wrong = new AtomicReference<>(List.of());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            use(consumers); // as the pipeline and the parts do: a component SCR re-activated binds the best anew
            List<String> notErp = new ArrayList<>();
            for (ComponentDescriptionDTO d : consumers) {
                String ref = Arrays.stream(d.references).filter(r -> OperatorRepository.class.getName().equals(
                        r.interfaceName)).findFirst().orElseThrow().name;
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    boolean bound = c.state == ComponentConfigurationDTO.ACTIVE && Arrays.stream(c.satisfiedReferences)
                            .anyMatch(b -> b.name.equals(ref) && Arrays.stream(b.boundServices).anyMatch(s -> s.id
                                    == erpId));
                    if (!bound) {
                        notErp.add(d.name + " (state " + c.state + ")");
                    }
                }
            }
            wrong.set(notErp);
            if (notErp.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        fail("components in use not bound to the highest-ranked OperatorRepository (the ERP's) after it arrived: "
                + wrong.get());
    }

    /** Gets each component's service, which activates it (they are delayed components) and keeps it in use. */
    private void use(List<ComponentDescriptionDTO> components) throws Exception {
        for (ComponentDescriptionDTO d : components) {
            ServiceReference<?>[] refs = d.serviceInterfaces.length == 0 ? null : ctx.getServiceReferences(
                    d.serviceInterfaces[0], "(component.name=" + d.name + ")");
            for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
                assertNotNull(ctx.getService(r), d.name);
            }
        }
    }

    /** Opens the host's "Envoi" menu and clicks the item {@code label}, through the SWT widgets. */
    private static void clickEnvoiMenuItem(MApplication app, String label) {
        Menu bar = (Menu) ((MWindow) app.getChildren().get(0)).getMainMenu().getWidget();
        MenuItem cascade = Arrays.stream(bar.getItems()).filter(i -> i.getText().replace("&", "").equals("Envoi"))
                .findFirst().orElseThrow(() -> new AssertionError("no Envoi menu in the menu bar: " + Arrays.stream(
                        bar.getItems()).map(MenuItem::getText).toList()));
        Menu menu = cascade.getMenu();
        menu.notifyListeners(SWT.Show, new Event()); // e4 fills a menu when it is shown
        MenuItem item = Arrays.stream(menu.getItems()).filter(i -> i.getText().replace("&", "").equals(label))
                .findFirst().orElseThrow(() -> new AssertionError("no item " + label + " in the Envoi menu: " + Arrays
                        .stream(menu.getItems()).map(MenuItem::getText).toList()));
        assertTrue(item.isEnabled(), label + " is enabled");
        item.notifyListeners(SWT.Selection, new Event());
        menu.notifyListeners(SWT.Hide, new Event());
    }

    private static MPart part(MApplication app, String id) {
        EModelService models = app.getContext().get(EModelService.class);
        return (MPart) models.find(id, app);
    }

    private static List<String> rows(MApplication app, String partId, String key) {
        Control table = find((Control) part(app, partId).getWidget(), key);
        List<String> rows = new ArrayList<>();
        if (table instanceof Table t) {
            for (TableItem i : t.getItems()) {
                List<String> cells = new ArrayList<>();
                for (int c = 0; c < Math.max(1, t.getColumnCount()); c++) {
                    cells.add(i.getText(c));
                }
                rows.add(String.join(" | ", cells));
            }
        }
        return rows;
    }

    private static Control find(Control c, String key) {
        if (key.equals(c.getData(KEY))) {
            return c;
        }
        if (c instanceof Composite parent) {
            for (Control child : parent.getChildren()) {
                Control f = find(child, key);
                if (f != null) {
                    return f;
                }
            }
        }
        return null;
    }

    private static void screenshot(Shell shell, String name) {
        Display display = shell.getDisplay();
        while (display.readAndDispatch()) {
            // paint what is pending
        }
        // the whole window from the screen, with the host's menu bar (the shell's GC sees only its client area)
        org.eclipse.swt.graphics.Rectangle bounds = shell.getBounds();
        Image image = new Image(display, bounds.width, bounds.height);
        GC gc = new GC(display);
        try {
            gc.copyArea(image, bounds.x, bounds.y);
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

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(ctx.getBundles()).filter(b -> b.getSymbolicName().equals(symbolicName)).findFirst()
                .orElse(null);
    }

    private <T> T service(Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> t = new ServiceTracker<>(ctx, type, null);
        t.open();
        T s = t.waitForService(30_000);
        assertNotNull(s, type.getName() + " is registered");
        return s;
    }

    /** Skips on a developer's machine without X, fails in CI. */
    private static void requireDisplay() {
        String d = System.getenv("DISPLAY");
        if (d == null || d.isBlank()) {
            if (Boolean.getBoolean("envoi.ci")) {
                fail("no X display in CI: run the tests under xvfb-run (README)");
            }
            org.junit.jupiter.api.Assumptions.abort("no X display: run the tests under xvfb-run (README)");
        }
    }

    /**
     * The sample host started as Equinox starts an e4 product: the e4 application of the host's product, with the
     * product's branding (its model), on a UI thread of its own; the test drives it through that thread.
     */
    private static final class Host implements AutoCloseable {

        private final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final ServiceTracker<IWorkbench, IWorkbench> workbenches;
        private IWorkbench workbench;

        private Host(BundleContext ctx, IApplication application, IApplicationContext context) {
            workbenches = new ServiceTracker<>(ctx, IWorkbench.class, null);
            workbenches.open();
            thread = new Thread(() -> {
                try {
                    application.start(context);
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "sample-erp-ui");
            thread.setDaemon(true);
        }

        static Host start(BundleContext ctx) throws Exception {
            IExtensionRegistry registry = RegistryFactory.getRegistry();
            IExtension product = registry.getExtension("org.eclipse.core.runtime.products", PRODUCT);
            assertNotNull(product, "the host's product " + PRODUCT);
            IConfigurationElement p = product.getConfigurationElements()[0];
            Map<String, String> branding = new HashMap<>();
            for (IConfigurationElement prop : p.getChildren("property")) {
                branding.put(prop.getAttribute("name"), prop.getAttribute("value"));
            }
            String applicationId = p.getAttribute("application");
            IExtension app = registry.getExtension("org.eclipse.core.runtime.applications", applicationId);
            assertNotNull(app, "the host's application " + applicationId);
            IApplication application = (IApplication) app.getConfigurationElements()[0].getChildren("run")[0]
                    .createExecutableExtension("class");
            Bundle brandingBundle = Arrays.stream(ctx.getBundles()).filter(b -> b.getSymbolicName().equals(product
                    .getContributor().getName())).findFirst().orElseThrow();
            IApplicationContext context = new IApplicationContext() {
                @Override
                public Map getArguments() {
                    return Map.of(IApplicationContext.APPLICATION_ARGS, new String[0]);
                }

                @Override
                public void applicationRunning() {
                    // no splash screen
                }

                @Override
                public String getBrandingApplication() {
                    return applicationId;
                }

                @Override
                public String getBrandingName() {
                    return p.getAttribute("name");
                }

                @Override
                public String getBrandingDescription() {
                    return null;
                }

                @Override
                public String getBrandingId() {
                    return PRODUCT;
                }

                @Override
                public String getBrandingProperty(String key) {
                    return branding.get(key);
                }

                @Override
                public Bundle getBrandingBundle() {
                    return brandingBundle;
                }

                @Override
                public void setResult(Object result, IApplication application) {
                    // the test reads the workbench, not the exit code
                }
            };
            Host host = new Host(ctx, application, context);
            host.thread.start();
            host.waitFor("the host's workbench", () -> {
                host.workbench = host.workbenches.getService();
                return host.workbench != null && host.workbench.getApplication() != null && host.ui(() -> {
                    MWindow w = host.workbench.getApplication().getChildren().get(0);
                    return w.getWidget() instanceof Shell s && s.isVisible();
                });
            });
            return host;
        }

        MApplication application() {
            return workbench.getApplication();
        }

        /** Runs {@code what} on the host's UI thread and hands back its result or its failure. */
        <T> T ui(Supplier<T> what) {
            Display display = application().getContext().get(Display.class);
            AtomicReference<T> result = new AtomicReference<>();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            display.syncExec(() -> {
                try {
                    result.set(what.get());
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            if (thrown.get() instanceof Error e) {
                throw e;
            }
            if (thrown.get() instanceof RuntimeException e) {
                throw e;
            }
            return result.get();
        }

        void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (failure.get() != null) {
                    throw new AssertionError("the host application failed", failure.get());
                }
                if (workbench != null || what.equals("the host's workbench")) {
                    if (condition.getAsBoolean()) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
            fail("not within 60 s: " + what);
        }

        @Override
        public void close() throws Exception {
            if (workbench != null) {
                ui(() -> workbench.close());
            }
            thread.join(30_000);
            workbenches.close();
        }
    }
}
