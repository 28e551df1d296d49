package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the materialized Linux product through its start script on the real X display (Xvfb in CI) and reads its
 * log until the providers are registered and the window shows them.
 */
class ProductStartTest {

    @TempDir
    Path data;

    @Test
    void linuxProductStartsAndRegistersTheProviders() throws Exception {
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
        Process process = pb.start();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Thread reader = BuiltProduct.drain(BuiltProduct.lines(process.getInputStream()), log, "envoi-product-log");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && process.isAlive() && !windowShown(log)) {
                Thread.sleep(200);
            }
            String all = String.join("\n", log);
            assertTrue(process.isAlive(), "the product exited early:\n" + all);
            assertTrue(all.contains("Envoi provider registered: microsoft (Microsoft 365)"), all);
            assertTrue(all.contains("Envoi provider registered: google (Google (Gmail, Workspace))"), all);
            assertTrue(windowShown(log), "the window did not show the providers within 90 s:\n" + all);
            assertFalse(all.contains("!STACK"), "errors in the product log:\n" + all);
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(5_000);
        }
    }

    private static boolean windowShown(List<String> log) {
        synchronized (log) {
            return log.stream().anyMatch(l -> l.contains("Envoi window shows providers: google, microsoft"));
        }
    }
}
