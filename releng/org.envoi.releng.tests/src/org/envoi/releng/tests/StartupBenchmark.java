package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PERFORMANCE.md's start-up figures: the materialized Linux product started through its script under the X display,
 * cold (a fresh data folder each time), timed from the launch to the first window's part (its log line), and the
 * resident memory of the product's JVM two seconds after. Prints figures, asserts only that it started. Run with
 * {@code -Dtest=StartupBenchmark} (see README); {@code envoi.bench.rounds} starts.
 */
class StartupBenchmark {

    @TempDir
    Path temp;

    @Test
    void coldStartToFirstWindowAndResidentMemory() throws Exception {
        String display = System.getenv("DISPLAY");
        if (display == null || display.isBlank()) {
            Assumptions.abort("no X display: run under xvfb-run");
        }
        Path product = BuiltProduct.linuxProduct();
        int rounds = Integer.getInteger("envoi.bench.rounds", 3);
        List<Long> millis = new ArrayList<>();
        List<Long> rssKb = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            Path data = Files.createDirectories(temp.resolve("data" + i));
            ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString()).redirectErrorStream(true);
            pb.environment().put("ENVOI_DATA", data.toString());
            long t0 = System.nanoTime();
            Process p = pb.start();
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null;) {
                        log.add(line);
                    }
                } catch (IOException e) {
                    log.add("(log reader stopped: " + e + ")");
                }
            });
            reader.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                long shown = -1;
                while (System.nanoTime() < deadline && p.isAlive() && shown < 0) {
                    synchronized (log) {
                        if (log.stream().anyMatch(l -> l.contains("Envoi window shows"))) {
                            shown = System.nanoTime();
                        }
                    }
                    Thread.sleep(20);
                }
                assertTrue(shown > 0, () -> "the window did not show: " + String.join("\n", log));
                millis.add((shown - t0) / 1_000_000);
                Thread.sleep(2_000);
                rssKb.add(residentKb(p));
            } finally {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                reader.join(5_000);
            }
        }
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        List<Long> rss = new ArrayList<>(rssKb);
        Collections.sort(rss);
        System.out.printf("BENCH product.start rounds=%d first_window_ms_median=%d rss_mb_median=%d all_ms=%s"
                + " all_rss_kb=%s%n", rounds, sorted.get(sorted.size() / 2), rss.get(rss.size() / 2) / 1024, millis,
                rssKb);
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
