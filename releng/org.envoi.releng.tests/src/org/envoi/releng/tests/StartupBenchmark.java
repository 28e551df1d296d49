package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19.5's figures, side by side in one run under one X display: the materialized Linux product started through
 * its script on the data folder {@code envoi demo} leaves, and the bare e4 product of the same platform
 * ({@code releng/org.envoi.bare.product}: the same runtime bundles and start levels, one empty part, none of Envoi's
 * bundles), started alternately, each timed from the launch to its first window's log line (Envoi's
 * {@code WindowShownLog}, the bare product's {@code BareWindowShown}: both at the event loop's first turn after the
 * workbench started). Memory is the JVM's resident set (VmRSS) two seconds after that line: what the desktop takes
 * from the machine (heap, metaspace, compiled code, the class-data archive's mapped pages, GTK), the figure a user
 * sees in a task manager; a heap figure would leave out most of what Envoi's bundles cost (classes, code).
 * <p>
 * One start of each first, not counted (it fills the OS's file cache and lets the script make its class-data
 * archive), then {@code envoi.bench.rounds} measured rounds in turn; prints each round and the medians and ratios
 * (Envoi / bare), against the bare product as e4 starts it (the JVM's defaults) and against it given the JVM options
 * Envoi's script gives the desktop (the class-data archive, the serial collector from a 32 MB heap): the second ratio
 * is what Envoi's own bundles cost. Asserts only that both started. Opt-in: {@code -Dtest=StartupBenchmark} (see README).
 */
class StartupBenchmark {

    private static final String ENVOI_SHOWN = "Envoi window shown: ";
    private static final String BARE_SHOWN = "Bare window shown: ";

    @TempDir
    Path temp;

    @Test
    void envoiAgainstBareE4ProductToFirstWindowAndResidentMemory() throws Exception {
        String display = System.getenv("DISPLAY");
        if (display == null || display.isBlank()) {
            Assumptions.abort("no X display: run under xvfb-run");
        }
        Path product = BuiltProduct.linuxProduct();
        Path bare = BuiltProduct.bareProduct();
        int rounds = Integer.getInteger("envoi.bench.rounds", 3);
        Path data = temp.resolve("demo");
        BuiltProduct.Run demo = BuiltProduct.run(product, data, Map.of(), "demo");
        assertEquals(0, demo.code(), () -> "envoi demo failed: " + demo.out() + demo.err());

        List<long[]> envoi = new ArrayList<>();
        List<long[]> plain = new ArrayList<>();
        List<long[]> same = new ArrayList<>();
        for (int i = 0; i <= rounds; i++) {
            long[] e = start(envoiDesktop(product, data, display), ENVOI_SHOWN);
            long[] b = start(bareDesktop(bare, temp.resolve("bare-workspace"), display, List.of()), BARE_SHOWN);
            long[] o = start(bareDesktop(bare, temp.resolve("bare-workspace"), display, envoiOptions()), BARE_SHOWN);
            System.out.printf("BENCH startup round=%s envoi_ms=%d envoi_rss_mb=%d bare_ms=%d bare_rss_mb=%d"
                    + " bare_envoi_options_ms=%d bare_envoi_options_rss_mb=%d%n", i == 0 ? "first(not counted)"
                            : Integer.toString(i), e[0], e[1] / 1024, b[0], b[1] / 1024, o[0], o[1] / 1024);
            if (i > 0) {
                envoi.add(e);
                plain.add(b);
                same.add(o);
            }
        }
        long envoiMs = median(envoi, 0);
        long bareMs = median(plain, 0);
        long sameMs = median(same, 0);
        long envoiRss = median(envoi, 1) / 1024;
        long bareRss = median(plain, 1) / 1024;
        long sameRss = median(same, 1) / 1024;
        System.out.printf("BENCH startup rounds=%d envoi_first_window_ms=%d bare_first_window_ms=%d time_ratio=%.2f"
                + " envoi_rss_mb=%d bare_rss_mb=%d rss_ratio=%.2f (medians; memory: VmRSS 2 s after the window)%n",
                rounds, envoiMs, bareMs, (double) envoiMs / bareMs, envoiRss, bareRss, (double) envoiRss / bareRss);
        System.out.printf("BENCH startup against the bare product given Envoi's desktop JVM options: bare_ms=%d"
                + " time_ratio=%.2f bare_rss_mb=%d rss_ratio=%.2f%n", sameMs, (double) envoiMs / sameMs, sameRss,
                (double) envoiRss / sameRss);
    }

    /** The JVM options the start script gives the desktop (class-data archive, collector, first heap). */
    private List<String> envoiOptions() {
        return List.of("-XX:SharedArchiveFile=" + temp.resolve("bare.jsa"), "-XX:+AutoCreateSharedArchive",
                "-Xlog:disable", "-Xlog:all=warning,cds*=off:stderr", "-XX:+UseSerialGC", "-Xms32m");
    }

    private static ProcessBuilder envoiDesktop(Path product, Path data, String display) {
        ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString(), "--data", data.toString());
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("ENVOI_VMARGS");
        pb.environment().put("DISPLAY", display);
        return pb;
    }

    /** The bare product has no script: the same Java and launcher jar, with the JVM's defaults or given options. */
    private static ProcessBuilder bareDesktop(Path bare, Path workspace, String display, List<String> options)
            throws IOException {
        Path launcher;
        try (var s = Files.list(bare.resolve("plugins"))) {
            launcher = s.filter(p -> p.getFileName().toString().matches("org\\.eclipse\\.equinox\\.launcher_.*\\.jar"))
                    .findFirst().orElseThrow();
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(options);
        command.addAll(List.of("-Dosgi.requiredJavaVersion=21", "-jar", launcher.toString(), "-data", workspace
                .toString(), "-consoleLog"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(bare.toFile());
        pb.environment().put("DISPLAY", display);
        return pb;
    }

    /** Starts a desktop, waits for its window's line; {milliseconds to it, VmRSS in kB 2 s later}; stops it. */
    private static long[] start(ProcessBuilder pb, String shownLine) throws Exception {
        pb.redirectErrorStream(true);
        long t0 = System.nanoTime();
        Process p = pb.start();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Thread reader = BuiltProduct.drain(BuiltProduct.lines(p.getInputStream()), log, "desktop-log");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            long shown = -1;
            while (System.nanoTime() < deadline && p.isAlive() && shown < 0) {
                synchronized (log) {
                    if (log.stream().anyMatch(l -> l.contains(shownLine))) {
                        shown = System.nanoTime();
                    }
                }
                Thread.sleep(10);
            }
            assertTrue(shown > 0, () -> "no '" + shownLine + "' line: " + String.join("\n", log));
            Thread.sleep(2_000);
            return new long[] { (shown - t0) / 1_000_000, residentKb(p) };
        } finally {
            // a clean stop (SIGTERM) lets the JVM write the class-data archive the script asks for at exit
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            reader.join(5_000);
        }
    }

    private static long median(List<long[]> runs, int index) {
        List<Long> values = new ArrayList<>();
        runs.forEach(r -> values.add(r[index]));
        Collections.sort(values);
        return values.get(values.size() / 2);
    }

    /** VmRSS of the product's JVM: the script's java child, or the script itself if it exec'd java. */
    private static long residentKb(Process script) throws IOException {
        long best = 0;
        List<ProcessHandle> all = new ArrayList<>();
        all.add(script.toHandle());
        script.descendants().forEach(all::add);
        for (ProcessHandle h : all) {
            Path status = Path.of("/proc", Long.toString(h.pid()), "status");
            if (Files.exists(status)) {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
                        best = Math.max(best, Long.parseLong(line.replaceAll("\\D", "")));
                    }
                }
            }
        }
        return best;
    }
}
