package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start script runs the desktop's Java as its child (it starts it again on a restart, and words a display that
 * cannot be opened): a stop asked of the script (SIGTERM from a session's logout, a service manager, a test) must stop
 * that Java too, not leave it running on the data folder with nobody to stop it. A stand-in {@code java} that waits
 * plays the desktop.
 */
class DesktopScriptSignalsTest {

    @TempDir
    Path temp;

    @Test
    void stoppingTheScriptStopsTheDesktopItStarted() throws Exception {
        Path pidFile = temp.resolve("desktop.pid");
        Path envoi = BuiltProduct.scriptWithStandInJava(temp, """
                echo $$ > "%s.tmp" && mv "%s.tmp" "%s"
                exec sleep 120
                """.formatted(pidFile, pidFile, pidFile));
        ProcessBuilder pb = new ProcessBuilder(envoi.toString(), "--data", temp.resolve("data").toString())
                .redirectErrorStream(true).redirectOutput(temp.resolve("out").toFile());
        pb.environment().put("ENVOI_JAVA_HOME", temp.resolve("java").toString());
        pb.environment().put("DISPLAY", ":4242"); // the stand-in opens nothing
        Process script = pb.start();
        Optional<ProcessHandle> desktop = Optional.empty();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.exists(pidFile) && System.nanoTime() < deadline && script.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(pidFile), "the desktop started: " + Files.readString(temp.resolve("out")));
            desktop = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()));
            assertTrue(desktop.isPresent() && desktop.get().isAlive(), "the desktop runs");
            script.destroy(); // SIGTERM to the script
            assertTrue(script.waitFor(20, TimeUnit.SECONDS), "the script ended");
            ProcessHandle d = desktop.get();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (d.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(d.isAlive(), "the desktop's Java still runs after its script was stopped");
        } finally {
            desktop.ifPresent(ProcessHandle::destroyForcibly);
            script.destroyForcibly();
        }
    }
}
