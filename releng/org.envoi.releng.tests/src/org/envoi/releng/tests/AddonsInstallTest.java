package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.eclipse.equinox.p2.core.IProvisioningAgent;
import org.eclipse.equinox.p2.core.IProvisioningAgentProvider;
import org.eclipse.swt.SWT;
import org.eclipse.swt.graphics.GC;
import org.eclipse.swt.graphics.Image;
import org.eclipse.swt.graphics.ImageData;
import org.eclipse.swt.graphics.ImageLoader;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.ProgressBar;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableItem;
import org.envoi.ui.addons.Addons;
import org.envoi.ui.addons.AddonsDialog;
import org.envoi.ui.addons.AddonsSettings;
import org.envoi.ui.addons.AddonsView;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/**
 * Issue 19, Add-ons: the Add-ons screen's own code (the dialog in an SWT display of this runtime, on the p2 agent of
 * a copy of the product) installs the Google provider from the built update site into a product without it; the
 * copy, started again through its script, offers Google on the command line and in the desktop's flows editor.
 */
class AddonsInstallTest {

    private static final String GOOGLE_FEATURE = "org.envoi.provider.google.feature.feature.group";
    private static final String GOOGLE_BUNDLE = "org.envoi.provider.google";
    private static final String MICROSOFT_FEATURE = "org.envoi.provider.microsoft.feature.feature.group";
    private static final String SHOWN = "Envoi window shown: ";
    static final Path SHOTS = Path.of("target", "screenshots");

    @TempDir
    Path temp;

    @Test
    void googleInstallsThroughTheAddonsScreenAndTheRestartedProductOffersIt() throws Exception {
        Display display = display();
        // the honest "product without Google": the built product with the feature uninstalled by the p2 director
        // and garbage-collected (UpdateSiteInstallTest), so nothing of it is left to stand in for the install
        Path product = UpdateSiteInstallTest.productWithoutGoogle(temp.resolve("envoi"));
        assertFalse(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "before: the copy does not start Google");
        URI site = BuiltProduct.site().toUri();
        AddonsSettings settings = AddonsSettings.of(k -> k.equals(AddonsSettings.SITES) ? site.toString() : null,
                k -> null, null);
        AtomicBoolean restartAsked = new AtomicBoolean();
        IProvisioningAgent agent = agent(product);
        Shell shell = null;
        try {
            // the profile id the materialized product has (its config.ini's eclipse.p2.profile)
            Addons addons = new Addons(agent, "DefaultProfile", settings.sites());
            shell = AddonsDialog.open(null, settings, () -> addons, display::asyncExec, () -> restartAsked.set(true),
                    Locale.ENGLISH);
            Shell s = shell;
            Table table = widget(shell, "addons.table");
            Label status = widget(shell, "addons.status");
            until(display, 60, () -> table.getItemCount() > 0 && !status.getText().isEmpty(), () -> "the list: "
                    + status.getText());
            TableItem google = row(table, GOOGLE_FEATURE);
            assertEquals("", google.getText(2), "before: Google is not installed");
            assertFalse(google.getText(3).isEmpty(), "the site offers Google with its version");
            assertEquals("Providers", google.getText(1), "under the site's category");
            assertFalse(row(table, MICROSOFT_FEATURE).getText(2).isEmpty(),
                    "Microsoft is installed, with its version");
            screenshot(shell, "addons-before-en");

            Button install = widget(shell, "addons.install");
            Button cancel = widget(shell, "addons.cancel");
            Button uninstall = widget(shell, "addons.uninstall");
            ProgressBar progress = widget(shell, "addons.progress");
            assertFalse(install.isEnabled(), "nothing selected, nothing to install");
            assertFalse(cancel.isEnabled(), "nothing running, nothing to cancel");
            select(table, GOOGLE_FEATURE);
            assertTrue(install.isEnabled(), "Google selected: Install");
            assertFalse(uninstall.isEnabled(), "not installed: no Uninstall");

            // Cancel stops the install and leaves the product as it was
            install.notifyListeners(SWT.Selection, null);
            assertTrue(cancel.isEnabled(), "Cancel while p2 works");
            cancel.notifyListeners(SWT.Selection, null);
            until(display, 60, () -> !progress.isVisible(), () -> "the cancel: " + status.getText());
            assertEquals("Cancelled: nothing was changed.", status.getText());
            assertFalse(UpdateSiteInstallTest.profileLists(product, GOOGLE_FEATURE), "cancelled: not in the profile");
            assertFalse(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "cancelled: not in bundles.info");

            select(table, GOOGLE_FEATURE);
            install.notifyListeners(SWT.Selection, null);
            assertTrue(progress.isVisible(), "the progress bar shows while p2 works");
            assertTrue(cancel.isEnabled(), "Cancel while p2 works");
            screenshot(shell, "addons-installing-en");
            until(display, 180, () -> status.getText().startsWith("Failed") || status.getText().endsWith(
                    "is installed. Restart Envoi to use it.") && !progress.isVisible() && !row(table, GOOGLE_FEATURE)
                    .getText(2).isEmpty(), () -> "the install: "
                            + status.getText());
            assertTrue(status.getText().endsWith("is installed. Restart Envoi to use it."), status.getText());
            assertFalse(row(table, GOOGLE_FEATURE).getText(2).isEmpty(), "the list shows Google installed");
            assertFalse(progress.isVisible(), "no progress bar once done");
            screenshot(s, "addons-installed-en");
            assertFalse(cancel.isEnabled(), "nothing running, nothing to cancel");
            Button restart = widget(shell, "addons.restart");
            assertTrue(restart.isEnabled(), "the screen offers the restart");

            // and uninstall: Microsoft goes, from the same screen
            select(table, MICROSOFT_FEATURE);
            assertTrue(uninstall.isEnabled(), "Microsoft is installed: Uninstall");
            assertFalse(install.isEnabled(), "installed: no Install");
            uninstall.notifyListeners(SWT.Selection, null);
            until(display, 180, () -> status.getText().startsWith("Failed") || status.getText().endsWith(
                    "is uninstalled. Restart Envoi to finish.") && !progress.isVisible() && row(table,
                            MICROSOFT_FEATURE).getText(2).isEmpty(), () -> "the uninstall: " + status.getText());
            assertTrue(status.getText().endsWith("is uninstalled. Restart Envoi to finish."), status.getText());
            screenshot(shell, "addons-uninstalled-en");
            restart.notifyListeners(SWT.Selection, null);
            assertTrue(restartAsked.get(), "Restart asks the workbench to restart");
        } finally {
            if (shell != null) {
                shell.dispose();
            }
            agent.stop();
        }
        assertTrue(UpdateSiteInstallTest.profileLists(product, GOOGLE_FEATURE), "the p2 profile lists Google");
        assertTrue(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "bundles.info starts Google");
        assertFalse(UpdateSiteInstallTest.profileLists(product, MICROSOFT_FEATURE), "Microsoft left the profile");
        assertFalse(BuiltProduct.hasBundle(product, "org.envoi.provider.microsoft"), "bundles.info: no Microsoft");

        BuiltProduct.Run cli = BuiltProduct.run(product, temp.resolve("data-cli"), Map.of("ENVOI_VAULT_KEY",
                Base64.getEncoder().encodeToString(new byte[32])), "flow", "add", "g", "--provider", "google",
                "--client-id", "envoi.apps.googleusercontent.com");
        assertEquals(0, cli.code(), "the restarted product's command line offers Google: " + cli.out() + cli.err());
        BuiltProduct.Run gone = BuiltProduct.run(product, temp.resolve("data-cli"), Map.of("ENVOI_VAULT_KEY",
                Base64.getEncoder().encodeToString(new byte[32])), "flow", "add", "m", "--provider", "microsoft",
                "--client-id", "envoi-client");
        assertEquals(4, gone.code(), gone.out() + gone.err());
        assertTrue(gone.err().startsWith("PROVIDER_NOT_FOUND: No provider 'microsoft' is installed; installed:"
                + " [google]"), "Microsoft is gone: " + gone.err());

        String shown = desktopShows(product, temp.resolve("data-desktop"));
        assertTrue(shown.contains("flow.preset [Google (Gmail, Workspace), Other (custom)]"),
                "the flows editor offers Google, and no longer Microsoft: " + shown);
    }

    /**
     * What the screen's Install does when a user clicks it, run inside the product itself: its settings from the
     * product's configuration ({@code -Denvoi.updateSites}), the running product's p2 agent and SELF profile, the
     * product's own p2 bundles (FrameworkAdmin through the compatibility.state framework extension). A test-only
     * application bundle, dropped into a copy, does the clicking.
     */
    @Test
    void theProductInstallsIntoItselfAsTheScreenDoes() throws Exception {
        Path product = UpdateSiteInstallTest.productWithoutGoogle(temp.resolve("envoi"));
        Path probe;
        try (java.util.stream.Stream<Path> s = Files.list(Path.of(System.getProperty("envoi.addonsProbe")))) {
            probe = s.filter(p -> p.getFileName().toString().matches("org\\.envoi\\.addons\\.probe-.*\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError("build releng/org.envoi.addons.probe first"));
        }
        String version;
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(probe.toFile())) {
            version = jar.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
        Path jar = product.resolve("plugins/org.envoi.addons.probe_" + version + ".jar");
        Files.copy(probe, jar);
        Path info = product.resolve("configuration/org.eclipse.equinox.simpleconfigurator/bundles.info");
        Files.writeString(info, "org.envoi.addons.probe," + version + ",plugins/" + jar.getFileName() + ",4,false\n",
                java.nio.file.StandardOpenOption.APPEND);

        ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString(), "--data", temp.resolve("data")
                .toString(), "-application", "org.envoi.addons.probe.install").redirectErrorStream(true);
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("ENVOI_VMARGS", "-D" + AddonsSettings.SITES + "=" + BuiltProduct.site().toUri()
                + " -Denvoi.probe.install=" + GOOGLE_FEATURE);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertTrue(out.contains("probe before: org.eclipse.equinox.p2.engine "), "the product carries p2: " + out);
        assertEquals(List.of(), out.lines().filter(l -> l.startsWith("probe before: ") && l.endsWith(" ACTIVE"))
                .toList(), "nothing of p2 runs before the Add-ons screen needs it:\n" + out);
        assertTrue(out.contains("probe addon: " + GOOGLE_FEATURE + " installed=null available=0.1.0."), out);
        assertEquals(0, p.exitValue(), "the product installed Google into itself:\n" + out);
        assertTrue(UpdateSiteInstallTest.profileLists(product, GOOGLE_FEATURE), "the p2 profile lists Google");
        assertTrue(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "bundles.info starts Google");
        BuiltProduct.Run cli = BuiltProduct.run(product, temp.resolve("data-cli"), Map.of("ENVOI_VAULT_KEY",
                Base64.getEncoder().encodeToString(new byte[32])), "flow", "add", "g", "--provider", "google",
                "--client-id", "envoi.apps.googleusercontent.com");
        assertEquals(0, cli.code(), "the restarted product offers Google: " + cli.out() + cli.err());
    }

    /** Locked by the administrator: the same list, read-only, and a sentence saying why. */
    @Test
    void aLockedProductListsTheAddOnsWithoutInstallOrUninstall() throws Exception {
        Display display = display();
        Path product = BuiltProduct.copyOf(BuiltProduct.linuxProduct(), temp.resolve("envoi"));
        String site = BuiltProduct.site().toUri().toString();
        AddonsSettings settings = AddonsSettings.of(k -> k.equals(AddonsSettings.SITES) ? site : null,
                k -> k.equals(AddonsSettings.LOCKED) ? "true" : null, null);
        assertTrue(settings.locked(), "the product property locks");
        IProvisioningAgent agent = agent(product);
        Shell shell = null;
        try {
            Addons addons = new Addons(agent, "DefaultProfile", settings.sites());
            shell = AddonsDialog.open(null, settings, () -> addons, display::asyncExec, () -> {
            }, Locale.ENGLISH);
            Table table = widget(shell, "addons.table");
            Label status = widget(shell, "addons.status");
            until(display, 60, () -> table.getItemCount() > 0 && !status.getText().isEmpty(), () -> "the list: "
                    + status.getText());
            assertFalse(row(table, GOOGLE_FEATURE).getText(2).isEmpty(), "the list shows what is installed");
            assertEquals("Your administrator has locked the add-ons: this list is read-only.", this.<Label>widget(
                    shell, "addons.locked").getText());
            for (String key : List.of("addons.install", "addons.update", "addons.uninstall")) {
                assertNull(find(shell, key), key + " is not offered when locked");
            }
            screenshot(shell, "addons-locked-en");
            shell.dispose();
            shell = AddonsDialog.open(null, settings, () -> addons, display::asyncExec, () -> {
            }, Locale.FRENCH);
            Label statusFr = widget(shell, "addons.status");
            Table tableFr = widget(shell, "addons.table");
            until(display, 60, () -> tableFr.getItemCount() > 0 && !statusFr.getText().isEmpty(), () -> "la liste: "
                    + statusFr.getText());
            assertEquals("Votre administrateur a verrouillé les modules complémentaires : cette liste est en lecture"
                    + " seule.", this.<Label>widget(shell, "addons.locked").getText());
            assertEquals("Modules complémentaires", shell.getText());
            screenshot(shell, "addons-locked-fr");
        } finally {
            if (shell != null) {
                shell.dispose();
            }
            agent.stop();
        }
    }

    @Test
    void settingsComeFromTheSystemPropertiesThenTheProduct() {
        Path install = temp;
        AddonsSettings none = AddonsSettings.of(k -> null, k -> null, install);
        assertEquals(List.of(), none.sites(), "no repository/ beside the product, no setting: no site");
        assertFalse(none.locked());
        assertTrue(install.resolve("repository").toFile().mkdir());
        assertEquals(List.of(install.resolve("repository").toUri()), AddonsSettings.of(k -> null, k -> null, install)
                .sites(), "default: the repository/ folder beside the product");
        AddonsSettings product = AddonsSettings.of(k -> null, k -> k.equals(AddonsSettings.SITES)
                ? "https://envoi.example/site, file:/opt/envoi-site" : null, install);
        assertEquals(List.of(URI.create("https://envoi.example/site"), URI.create("file:/opt/envoi-site")), product
                .sites());
        AddonsSettings system = AddonsSettings.of(k -> k.equals(AddonsSettings.SITES) ? "file:/srv/site" : null,
                k -> k.equals(AddonsSettings.SITES) ? "https://envoi.example/site" : null, install);
        assertEquals(List.of(URI.create("file:/srv/site")), system.sites(), "config.ini/-D wins over the product");
        AddonsSettings bad = AddonsSettings.of(k -> k.equals(AddonsSettings.SITES)
                ? "ftp://envoi.example/site,https://envoi.example/ok" : null, k -> null, install);
        assertEquals(List.of(URI.create("https://envoi.example/ok")), bad.sites());
        assertEquals(List.of("envoi.updateSites: 'ftp://envoi.example/site' is not a file: or https: URL; give a"
                + " comma-separated list of file: and https: URLs (README, Add-ons)"), bad.problems());
        assertTrue(AddonsSettings.of(k -> k.equals(AddonsSettings.LOCKED) ? "true" : null, k -> null, install)
                .locked(), "a system property locks");
        assertTrue(AddonsSettings.of(k -> k.equals(AddonsSettings.LOCKED) ? "false" : null, k -> k.equals(
                AddonsSettings.LOCKED) ? "true" : null, install).locked(), "a user cannot unlock the product's lock");
    }

    /**
     * "Restart Envoi" ends the workbench with exit code 23; the start script starts the desktop again (the native
     * Eclipse launcher's job, which Envoi does not ship), and returns any other code. A stand-in java counts.
     */
    @Test
    void theStartScriptStartsTheDesktopAgainWhenItAsksForARestart() throws Exception {
        Path count = temp.resolve("starts");
        Path script = BuiltProduct.scriptWithStandInJava(temp, """
                echo start >> "%s"
                [ "$(wc -l < "%s")" -ge 3 ] && exit 7
                exit 23
                """.formatted(count, count));
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "--data", temp.resolve("data").toString())
                .redirectErrorStream(true);
        pb.environment().put("ENVOI_JAVA_HOME", temp.resolve("java").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the script ended");
        assertEquals(7, p.exitValue(), "the desktop's last exit code comes back: " + out);
        assertEquals(3, Files.readAllLines(count).size(), "started again after each exit 23, not after 7");
    }

    /**
     * The product carries what p2 needs to change itself, and starts none of it: no start level, no autostart, so
     * nothing of p2 runs before the Add-ons screen opens.
     */
    @Test
    void theProductCarriesP2AndStartsNoneOfIt() {
        Path product = BuiltProduct.linuxProduct();
        List<String> lines = BuiltProduct.bundlesInfo(product);
        for (String bundle : List.of("org.envoi.ui.addons", "org.eclipse.equinox.p2.operations",
                "org.eclipse.equinox.p2.engine", "org.eclipse.equinox.p2.director",
                "org.eclipse.equinox.p2.touchpoint.eclipse", "org.eclipse.equinox.p2.transport.ecf",
                "org.eclipse.ecf.provider.filetransfer", "org.eclipse.equinox.frameworkadmin.equinox",
                "org.eclipse.equinox.simpleconfigurator.manipulator", "org.eclipse.osgi.compatibility.state")) {
            String line = lines.stream().filter(l -> l.startsWith(bundle + ",")).findFirst().orElseThrow(
                    () -> new AssertionError(bundle + " is not in the product's bundles.info"));
            // FrameworkAdmin waits above the framework's start level until the Add-ons screen needs it
            assertTrue(line.endsWith(bundle.equals("org.eclipse.equinox.frameworkadmin.equinox") ? ",7,false"
                    : ",4,false"), bundle + " must not be started with the product: " + line);
        }
        for (String line : lines) {
            if (line.startsWith("org.eclipse.equinox.p2.") || line.startsWith("org.eclipse.ecf")) {
                assertTrue(line.endsWith(",false"), "p2 starts lazily, not with the product: " + line);
            }
        }
    }

    private static Display display() {
        String d = System.getenv("DISPLAY");
        if (d == null || d.isBlank()) {
            if (Boolean.getBoolean("envoi.ci")) {
                fail("no X display in CI: run the tests under xvfb-run (see README.md)");
            }
            Assumptions.abort("no X display (DISPLAY is unset): run under xvfb-run");
        }
        return Display.getDefault();
    }

    /** An agent on another installation's p2 folder, as the director does with -destination. */
    private static IProvisioningAgent agent(Path product) throws Exception {
        BundleContext context = FrameworkUtil.getBundle(AddonsInstallTest.class).getBundleContext();
        // loading the class starts p2.core (lazy activation), which registers the provider
        Class<IProvisioningAgentProvider> type = IProvisioningAgentProvider.class;
        ServiceReference<IProvisioningAgentProvider> ref = context.getServiceReference(type);
        assertNotNull(ref, "p2's agent provider runs in the test runtime");
        return context.getService(ref).createAgent(product.resolve("p2").toUri());
    }

    private static void select(Table table, String id) {
        table.setSelection(row(table, id));
        table.notifyListeners(SWT.Selection, null);
    }

    private static TableItem row(Table table, String id) {
        for (TableItem item : table.getItems()) {
            if (item.getData() instanceof Addons.Addon a && a.id().equals(id)) {
                return item;
            }
        }
        List<String> ids = new ArrayList<>();
        for (TableItem item : table.getItems()) {
            ids.add(item.getData() instanceof Addons.Addon a ? a.id() : "?");
        }
        return fail("no row for " + id + " in " + ids);
    }

    private static void until(Display display, int seconds, BooleanSupplier done, java.util.function.Supplier<String>
            what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not done within " + seconds + " s: " + what.get());
            }
            while (display.readAndDispatch()) {
                // run what the background job posted
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
        while (display.readAndDispatch()) {
            // paint
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Control> T find(Control root, String key) {
        if (key.equals(root.getData(AddonsView.KEY))) {
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

    private <T extends Control> T widget(Control root, String key) {
        T w = find(root, key);
        if (w == null) {
            throw new AssertionError("no widget with key " + key);
        }
        return w;
    }

    static void screenshot(Shell shell, String name) {
        Display display = shell.getDisplay();
        // GTK draws a button's new state a moment after it changes: let it, then copy the window
        long settle = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        do {
            while (display.readAndDispatch()) {
                // paint what is pending
            }
            shell.update();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } while (System.nanoTime() < settle);
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

    /** Starts the product's desktop through its script on this display; what its window log says it shows. */
    private static String desktopShows(Path product, Path data) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString()).redirectErrorStream(true);
        pb.environment().put("ENVOI_DATA", data.toString());
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().remove("LC_ALL");
        pb.environment().remove("ENVOI_VMARGS");
        Process process = pb.start();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Thread reader = BuiltProduct.drain(BuiltProduct.lines(process.getInputStream()), log, "envoi-addons-log");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && process.isAlive()) {
                synchronized (log) {
                    for (String l : log) {
                        if (l.contains(SHOWN)) {
                            return l.substring(l.indexOf(SHOWN) + SHOWN.length());
                        }
                    }
                }
                Thread.sleep(100);
            }
            return fail("the desktop did not say what it shows within 90 s:\n" + String.join("\n", log));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(5_000);
        }
    }
}
