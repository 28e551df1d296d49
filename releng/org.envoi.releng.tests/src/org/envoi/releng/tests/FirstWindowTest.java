package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first window a newcomer sees, as issue 19 tried it: the product started through its script on the data folder
 * {@code envoi demo} leaves, on a 1280x860 screen (an Xvfb of that size of its own), in English then in French. What
 * the window shows is read from the line {@code WindowShownLog} writes from the widgets: title with the data folder's
 * name, a size that fits the screen, a minimum size, the main menu, the part tabs from the fragment's descriptors, the
 * demo's flow selected and shown in the form, Save in view, no problem shown and nothing cut off. Each start also has
 * the product take screenshots of the whole window for every part and of the About dialog
 * ({@code -Denvoi.screenshots}), copied under {@code target/screenshots} (issue 19, point 7), then quit through
 * File > Quit's command, which must end the product with 0.
 */
class FirstWindowTest {

    private static final String SHOWN = "Envoi window shown: ";
    private static final String SHOTS = "Envoi screenshots: ";
    private static final Path SCREENSHOTS = Path.of(System.getProperty("envoi.data", "target/envoi-data"))
            .getParent().resolve("screenshots");

    @TempDir
    Path data;

    @Test
    void theDemosDataFolderOpensInAWindowANewcomerCanUse() throws Exception {
        String xvfb = onPath("xvfb-run");
        if (xvfb == null) {
            if (Boolean.getBoolean("envoi.ci")) {
                fail("xvfb-run is not installed in CI (apt-get install xvfb xauth, README)");
            }
            Assumptions.abort("xvfb-run is not installed: this test makes its own 1280x860 screen with it");
        }
        Path product = BuiltProduct.linuxProduct();
        BuiltProduct.Run demo = BuiltProduct.run(product, data, Map.of(), "demo");
        assertEquals(0, demo.code(), demo.out() + demo.err());

        String[] en = start(product, "en");
        String shown = en[0];
        String name = data.getFileName().toString();
        assertTrue(shown.startsWith("\"Envoi \u2014 " + name + "\" "), "the title names the data folder: " + shown);
        Matcher size = Pattern.compile("^\"[^\"]*\" (\\d+)x(\\d+) min (\\d+)x(\\d+) on 1280x860;").matcher(shown);
        assertTrue(size.find(), "size, minimum size and screen: " + shown);
        int w = Integer.parseInt(size.group(1));
        int h = Integer.parseInt(size.group(2));
        assertTrue(w >= 1000 && w <= 1280 && h >= 700 && h <= 860, "a first size that uses the screen: " + shown);
        int minW = Integer.parseInt(size.group(3));
        int minH = Integer.parseInt(size.group(4));
        assertTrue(minW >= 700 && minW < w && minH >= 480 && minH < h, "a minimum size: " + shown);
        // File and Help are the product's; Envoi (every part, to open one again) and Add-ons come from fragments
        assertTrue(shown.contains("; menus: File [Quit], Envoi [Authentication flows, "), "the main menu: " + shown);
        assertTrue(shown.contains("], Add-ons [Add-ons\u2026], Help [About Envoi]; "), "the main menu: " + shown);
        assertTrue(shown.contains("; tabs: [Authentication flows], Outbox, Inbox, Flow health, Operators and"
                + " company, Mail settings, Mail providers;"), "the parts, the flows selected: " + shown);
        assertTrue(shown.contains("flows.list (1 rows, selected: Local sandbox (sandbox))"),
                "the demo's flow is selected: " + shown);
        assertTrue(shown.contains("flow.id \"sandbox\""), "and shown in the form: " + shown);
        assertTrue(shown.contains(", flow.save,"), "Save is shown: " + shown);
        assertFalse(shown.contains("; cut off: "), "nothing is cut off or out of reach: " + shown);
        assertFalse(shown.contains("problem."), "the demo's flow has no problem to show: " + shown);
        String about = en[1];
        assertTrue(about.contains("about.version \"Envoi 0.1.0"), "About gives the version: " + about);
        assertFalse(about.contains("; cut off: "), "no part has controls out of reach: " + about);
        Path real = data.toRealPath();
        assertTrue(about.contains("about.data \"" + real + "\""), "About gives the data folder: " + about);
        assertTrue(about.contains("about.log \"" + real.resolve("workspace/.metadata/.log") + "\""),
                "and the log file: " + about);

        assertTrue(about.contains("; about: \"About Envoi\" "), "About, opened by its command: " + about);
        String[] french = start(product, "fr");
        String fr = french[0];
        assertTrue(french[1].contains("; about: \"\u00c0 propos d'Envoi\" "), "in French: " + french[1]);
        assertTrue(fr.contains("; menus: Fichier [Quitter], Envoi [Flux d'authentification, "), "French menus: " + fr);
        assertTrue(fr.contains("], Modules compl\u00e9mentaires [Modules compl\u00e9mentaires\u2026], Aide [\u00c0 propos"
                + " d'Envoi]; "), "French menus: " + fr);
        assertTrue(fr.contains("; tabs: [Flux d'authentification], Bo\u00eete d'envoi,"), "French tabs: " + fr);
        for (String lang : List.of("en", "fr")) {
            for (String screen : List.of("flows", "outbox", "inbox", "health", "operators", "mailsettings",
                    "providers", "about")) {
                Path png = SCREENSHOTS.resolve("window-" + screen + "-" + lang + ".png");
                assertTrue(Files.size(png) > 2_000, png + " is a real picture");
            }
        }
    }

    /**
     * Starts the desktop on {@link #data} in a 1280x860 Xvfb, asks it for screenshots, and returns the window's line
     * and the screenshots' line once both are written.
     */
    private String[] start(Path product, String lang) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("xvfb-run", "-a", "-s", "-screen 0 1280x860x24", product.resolve(
                "envoi").toString(), "--data", data.toString(), "-nl", lang).redirectErrorStream(true);
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("ENVOI_VMARGS", "-Denvoi.screenshots=" + SCREENSHOTS.toAbsolutePath());
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().remove("LC_ALL");
        pb.environment().remove("DISPLAY");
        Process process = pb.start();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Thread reader = BuiltProduct.drain(BuiltProduct.lines(process.getInputStream()), log, "envoi-window-" + lang);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && process.isAlive() && line(log, SHOTS) == null) {
                Thread.sleep(100);
            }
            String all = String.join("\n", log);
            String shown = line(log, SHOWN);
            assertNotNull(shown, "the window did not say what it shows within 90 s:\n" + all);
            String shots = line(log, SHOTS);
            assertNotNull(shots, "the window took no screenshots within 90 s:\n" + all);
            assertEquals(List.of(), log.stream().filter(l -> l.contains("!STACK") || l.contains("SEVERE")).toList(),
                    "errors in the product log:\n" + all);
            System.out.println("[" + lang + "] " + SHOWN + shown);
            System.out.println("[" + lang + "] " + SHOTS + shots);
            // then the product quits through File > Quit's command, and the script hands Java's 0 back
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "File > Quit did not end the product:\n" + all);
            reader.join(5_000);
            assertEquals(0, process.exitValue(), "the product's exit code after Quit:\n" + String.join("\n", log));
            return new String[] { shown, shots };
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(5_000);
        }
    }

    private static String line(List<String> log, String prefix) {
        synchronized (log) {
            return log.stream().filter(l -> l.contains(prefix)).map(l -> l.substring(l.indexOf(prefix) + prefix
                    .length())).findFirst().orElse(null);
        }
    }

    private static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program).toString();
            }
        }
        return null;
    }
}
