package org.envoi.api.tests.servers;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * Where the real test servers come from: {@code releng/org.envoi.testservers} copies them from Maven Central into
 * its target folder, named by the {@code envoi.testservers} property. Absent on a laptop → the test is skipped with a
 * message; absent in CI ({@code envoi.ci=true}) → the test fails.
 */
public final class TestServers {

    private TestServers() {
    }

    public static Path folder(String name) {
        String base = System.getProperty("envoi.testservers");
        Path p = base == null ? null : Path.of(base, name);
        if (p == null || !Files.isDirectory(p)) {
            missing(name + " is not in " + base + ": build releng/org.envoi.testservers first (./mvnw verify does)");
        }
        return p;
    }

    /** Skips the test on a developer's machine, fails it in CI. */
    public static void missing(String what) {
        if (Boolean.getBoolean("envoi.ci")) {
            fail(what);
        }
        Assumptions.abort(what);
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The java of the running test JVM, to start servers with. */
    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /**
     * Deletes a test folder, best effort: the mail daemons and H2 may still touch it for a moment after they stop,
     * which must not fail a test that passed (JUnit's own clean-up does).
     */
    public static void deleteQuietly(Path dir) {
        for (int attempt = 0; attempt < 3 && dir != null && Files.exists(dir); attempt++) {
            try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // try again
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
