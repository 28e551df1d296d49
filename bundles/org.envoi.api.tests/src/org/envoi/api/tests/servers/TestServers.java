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

    /** The ports {@link #freePort()} handed out in this JVM. */
    private static final java.util.Set<Integer> HANDED_OUT = new java.util.HashSet<>();

    /**
     * A port free on 127.0.0.1 now and never handed out before in this JVM: the kernel gives a released port again
     * (1 start of the mail servers in 30 drew one twice), and Postfix binds with SO_REUSEPORT, so two of its listeners
     * on one port would both start and share the clients.
     */
    public static int freePort() {
        synchronized (HANDED_OUT) {
            while (true) {
                try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                    if (HANDED_OUT.add(s.getLocalPort())) {
                        return s.getLocalPort();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    /** The java of the running test JVM, to start servers with. */
    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /**
     * A class path for a separate JVM (a process a test kills, or a second desk): the jars and class folders of every
     * bundle of the running test framework, taken from their locations.
     */
    public static String frameworkClassPath(Class<?> inTestBundle) {
        java.util.Set<String> entries = new java.util.LinkedHashSet<>();
        org.osgi.framework.Bundle self = org.osgi.framework.FrameworkUtil.getBundle(inTestBundle);
        for (org.osgi.framework.Bundle b : self.getBundleContext().getBundles()) {
            String location = b.getLocation().replaceFirst("^reference:", "").replaceFirst("^initial@", "")
                    .replaceFirst("^reference:", "");
            if (!location.startsWith("file:")) {
                continue;
            }
            Path p = Path.of(location.substring("file:".length()));
            if (!p.isAbsolute()) {
                String area = System.getProperty("osgi.install.area", System.getProperty("user.dir"));
                p = Path.of(area.replaceFirst("^file:", "")).resolve(p.toString());
            }
            if (Files.isDirectory(p)) {
                for (String sub : java.util.List.of("target/classes", "bin")) {
                    if (Files.isDirectory(p.resolve(sub))) {
                        entries.add(p.resolve(sub).toString());
                    }
                }
            }
            entries.add(p.toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
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
