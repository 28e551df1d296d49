package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the materialized Linux product through its start script on the real X display (Xvfb in CI) and checks what
 * the window shows: the X server has a viewable top-level window titled "Envoi" that belongs to the product's process,
 * and the line the UI writes once the workbench has rendered it, read from the widgets, names every part's tab, the
 * selected part, and the selected part's form with its controls.
 */
class ProductStartTest {

    private static final String SHOWN = "Envoi window shown: ";

    @TempDir
    Path data;

    @Test
    void linuxProductShowsItsWindowWithItsParts() throws Exception {
        String display = System.getenv("DISPLAY");
        if (display == null || display.isBlank()) {
            if (Boolean.getBoolean("envoi.ci")) {
                fail("no X display in CI: run the tests under xvfb-run (see README.md)");
            }
            Assumptions.abort("no X display (DISPLAY is unset): run under xvfb-run to start the product");
        }
        Path product = BuiltProduct.linuxProduct();
        ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString()).redirectErrorStream(true);
        pb.environment().put("ENVOI_DATA", data.toString());
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("LANG", "C.UTF-8"); // the English labels
        pb.environment().remove("LC_ALL");
        Process process = pb.start();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Thread reader = BuiltProduct.drain(BuiltProduct.lines(process.getInputStream()), log, "envoi-product-log");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && process.isAlive() && shown(log) == null) {
                Thread.sleep(200);
            }
            String all = String.join("\n", log);
            assertTrue(process.isAlive(), "the product exited early:\n" + all);
            String shown = shown(log);
            assertNotNull(shown, "the window did not say what it shows within 90 s:\n" + all);
            assertTrue(all.contains("Envoi provider registered: microsoft (Microsoft 365)"), all);
            assertTrue(all.contains("Envoi provider registered: google (Google (Gmail, Workspace))"), all);

            assertTrue(shown.startsWith("\"Envoi \u2014 " + data.getFileName() + "\" "),
                    "one window, titled Envoi and its data folder: " + shown);
            assertTrue(shown.contains("; tabs: [Authentication flows], Outbox, Inbox, Flow health, Operators and"
                    + " company, Mail settings, Mail providers;"), "every part's tab, the flows selected: " + shown);
            assertTrue(shown.contains("; Authentication flows shows: flows.list"), "the flows list: " + shown);
            for (String control : List.of("flow.preset [Google (Gmail, Workspace), Microsoft 365, Other (custom)]", "flow.id",
                    "flow.clientId", "flow.save", "flow.test")) {
                assertTrue(shown.contains(control), "the flow form shows " + control + ": " + shown);
            }
            assertEquals(List.of(), log.stream().filter(l -> l.contains("!STACK")).toList(),
                    "errors in the product log:\n" + all);

            System.out.println("Envoi window shown: " + shown);
            String window = x11Window(process, all);
            System.out.println("X window of the product: " + window.lines().filter(l -> l.contains("Window id")
                    || l.contains("Map State") || l.contains("-geometry")).toList());
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(5_000);
        }
    }

    private static String shown(List<String> log) {
        synchronized (log) {
            return log.stream().filter(l -> l.contains(SHOWN)).map(l -> l.substring(l.indexOf(SHOWN) + SHOWN
                    .length())).findFirst().orElse(null);
        }
    }

    /**
     * The X server's description ({@code xwininfo}) of the viewable top-level window titled "Envoi …" whose
     * {@code _NET_WM_PID} is the product's JVM (the script's child: it waits for Java to tell a display that cannot
     * be opened), asked of the X server with x11-utils (e4 pads the title with spaces). GTK also makes hidden 200x200
     * windows and a small one with that title and process: they do not count.
     */
    private static String x11Window(Process script, String log) throws Exception {
        List<Long> pids = new ArrayList<>(List.of(script.pid()));
        script.descendants().forEach(h -> pids.add(h.pid()));
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // the X server may map it a moment later
        do {
            seen.clear();
            for (String line : exec("xwininfo", "-root", "-tree").lines().toList()) {
                Matcher m = Pattern.compile("^\\s*(0x[0-9a-f]+) \"Envoi[^\"]*\": ").matcher(line);
                String owner = m.find() ? exec("xprop", "-id", m.group(1), "_NET_WM_PID") : "";
                if (pids.stream().anyMatch(pid -> owner.strip().endsWith("= " + pid))) {
                    String info = exec("xwininfo", "-id", m.group(1));
                    Matcher width = Pattern.compile("Width: (\\d+)").matcher(info);
                    if (info.contains("Map State: IsViewable") && width.find() && Integer.parseInt(width.group(1))
                            >= 400) {
                        return info;
                    }
                    seen.add(line.strip() + (info.contains("IsViewable") ? " viewable" : " not viewable"));
                }
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return fail("no viewable X window titled Envoi of processes " + pids + " (its windows: " + seen + ")\n"
                + log);
    }

    private static String exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }
}
