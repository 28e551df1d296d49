package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
        Path home = temp.resolve("java");
        Files.createDirectories(home.resolve("bin"));
        Path java = home.resolve("bin/java");
        Path pidFile = temp.resolve("desktop.pid");
        Files.writeString(java, """
                #!/bin/sh
                case "$1" in -version) echo 'openjdk version "21.0.1"' >&2; exit 0;; esac
                echo $$ > "%s.tmp" && mv "%s.tmp" "%s"
                exec sleep 120
                """.formatted(pidFile, pidFile, pidFile));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwx------"));
        Path product = temp.resolve("product");
        Files.createDirectories(product.resolve("plugins"));
        Files.copy(BuiltProduct.linuxProduct().resolve("envoi"), product.resolve("envoi"));
        Files.createFile(product.resolve("plugins/org.eclipse.equinox.launcher_1.0.0.jar"));
        ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString(), "--data", temp.resolve("data")
                .toString()).redirectErrorStream(true).redirectOutput(temp.resolve("out").toFile());
        pb.environment().put("ENVOI_JAVA_HOME", home.toString());
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
