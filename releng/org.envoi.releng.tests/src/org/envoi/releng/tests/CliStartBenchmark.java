package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19.5's command-line figure: {@code envoi flow list} on the data folder {@code envoi demo} leaves, wall time
 * from the process's start to its end, in turn (one run has them all, so the machine's load hits each alike):
 * <ul>
 * <li>{@code before}: the command line the start script ran before issue 19.5 (the JVM's defaults, no class-data
 * archive), started directly, so without the script's former Java probing (one {@code java -version} per candidate);
 * <li>{@code no-archive}: the product's script with {@code ENVOI_CDS=off};
 * <li>{@code script}: the product's script as shipped (its archive made by the first, uncounted, run).
 * </ul>
 * Prints each run, the medians and the ratio script / before; asserts only that each listed the demo's flow. Opt-in:
 * {@code -Dtest=CliStartBenchmark} (see README); {@code envoi.bench.rounds} runs of each (default 3; 9 in README).
 */
class CliStartBenchmark {

    @TempDir
    Path temp;

    @Test
    void flowListBeforeAndAfterTheStartOptions() throws Exception {
        Path product = BuiltProduct.linuxProduct();
        int rounds = Integer.getInteger("envoi.bench.rounds", 3);
        Path data = temp.resolve("demo");
        BuiltProduct.Run demo = BuiltProduct.run(product, data, Map.of(), "demo");
        assertEquals(0, demo.code(), () -> "envoi demo failed: " + demo.out() + demo.err());

        List<Long> before = new ArrayList<>();
        List<Long> noArchive = new ArrayList<>();
        List<Long> script = new ArrayList<>();
        for (int i = 0; i <= rounds; i++) { // round 0 makes the archive and fills the file cache: not counted
            long b = time(before(product, data));
            long n = time(script(product, data, true));
            long s = time(script(product, data, false));
            System.out.printf("BENCH cli.start round=%s before_ms=%d no_archive_ms=%d script_ms=%d%n",
                    i == 0 ? "first(not counted)" : Integer.toString(i), b, n, s);
            if (i > 0) {
                before.add(b);
                noArchive.add(n);
                script.add(s);
            }
        }
        long b = median(before);
        long s = median(script);
        System.out.printf("BENCH cli.start command='flow list' rounds=%d before_ms=%d no_archive_ms=%d script_ms=%d"
                + " ratio=%.2f (medians)%n", rounds, b, median(noArchive), s, (double) s / b);
    }

    /** The exec line of the script before issue 19.5, for a command. */
    private static ProcessBuilder before(Path product, Path data) throws Exception {
        Path launcher;
        try (var s = Files.list(product.resolve("plugins"))) {
            launcher = s.filter(p -> p.getFileName().toString().matches("org\\.eclipse\\.equinox\\.launcher_.*\\.jar"))
                    .findFirst().orElseThrow();
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dosgi.requiredJavaVersion=21", "-Djava.awt.headless=true", "-Denvoi.data=" + data,
                "-Djava.util.logging.config.file=" + product.resolve("cli-logging.properties"),
                "-Denvoi.outbox.sender=on-demand", "-jar", launcher.toString(), "-nosplash", "-data",
                data.resolve("workspace").toString(), "-application", "org.envoi.cli.app", "--data", data.toString(),
                "flow", "list");
        clean(pb);
        return pb;
    }

    private static ProcessBuilder script(Path product, Path data, boolean noArchive) {
        ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString(), "--data", data.toString(), "flow",
                "list");
        clean(pb);
        if (noArchive) {
            pb.environment().put("ENVOI_CDS", "off");
        }
        return pb;
    }

    private static void clean(ProcessBuilder pb) {
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("DISPLAY");
        pb.environment().remove("ENVOI_VMARGS");
        pb.environment().remove("ENVOI_CDS");
    }

    /** Milliseconds from start to end; the command must list the demo's flow. */
    private static long time(ProcessBuilder pb) throws Exception {
        pb.redirectErrorStream(true);
        long t0 = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "flow list did not end");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("sandbox"), () -> "the demo's flow is listed: " + out);
        return ms;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
