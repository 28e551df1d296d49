package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/** The build outputs these tests work on, located through system properties set by the module's pom. */
final class BuiltProduct {

    private BuiltProduct() {
    }

    static Path products() {
        return existing("envoi.products");
    }

    /**
     * The product's start script, copied into {@code dir/product} beside an empty launcher jar, with a stand-in
     * {@code java} in {@code dir/java} (run the script with {@code ENVOI_JAVA_HOME} set to it) that answers
     * {@code -version} as a Java 21 and then runs {@code body}: the script's own logic, without Equinox.
     */
    static Path scriptWithStandInJava(Path dir, String body) throws IOException {
        Path standIn = dir.resolve("java/bin/java");
        Files.createDirectories(standIn.getParent());
        Files.writeString(standIn, "#!/bin/sh\ncase \"$1\" in -version) echo 'openjdk version \"21.0.1\"' >&2; exit 0;; esac\n"
                + body);
        Files.setPosixFilePermissions(standIn, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path product = dir.resolve("product");
        Files.createDirectories(product.resolve("plugins"));
        Files.copy(linuxProduct().resolve("envoi"), product.resolve("envoi"));
        Files.createFile(product.resolve("plugins/org.eclipse.equinox.launcher_1.0.0.jar"));
        return product.resolve("envoi");
    }

    static Path linuxProduct() {
        return products().resolve("linux/gtk/x86_64/envoi");
    }

    /** The test-only bare e4 product (releng/org.envoi.bare.product) for Linux. */
    static Path bareProduct() {
        return existing("envoi.bare.products").resolve("linux/gtk/x86_64/bare");
    }

    static Path site() {
        return existing("envoi.site");
    }

    private static Path existing(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            fail("system property " + property + " is not set: run these tests through Maven (releng/pom.xml)");
        }
        Path p = Path.of(value).toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(p), property + " = " + p + " does not exist: build releng first");
        return p;
    }

    /** Copies a product so that a test can change it without touching the build output; keeps file modes. */
    static Path copyOf(Path product, Path target) {
        try (Stream<Path> files = Files.walk(product)) {
            for (Path src : (Iterable<Path>) files::iterator) {
                Path dst = target.resolve(product.relativize(src).toString());
                if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bundles simpleconfigurator starts: "symbolic name,version,location,start level,autostart" lines. */
    static List<String> bundlesInfo(Path product) {
        try {
            return Files.readAllLines(
                    product.resolve("configuration/org.eclipse.equinox.simpleconfigurator/bundles.info")).stream()
                    .filter(l -> !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean hasBundle(Path product, String symbolicName) {
        return bundlesInfo(product).stream().anyMatch(l -> l.startsWith(symbolicName + ","));
    }

    static boolean hasPluginJar(Path product, String symbolicName) {
        try (Stream<Path> s = Files.list(product.resolve("plugins"))) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(symbolicName + "_"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a command of the product's script did. */
    record Run(int code, String out, String err) {
    }

    /**
     * Runs {@code <product>/envoi --data DATA args...} as a server would (no display, the test's Java), with a fresh
     * vault key unless {@code env} gives one, and waits for it.
     */
    static Run run(Path product, Path data, java.util.Map<String, String> env, String... args) throws Exception {
        return runWithInput(product, data, env, "", args);
    }

    /** Starts {@code <product>/envoi --data DATA args...} as {@link #run} does; the caller talks to it and waits. */
    static Process start(Path product, Path data, java.util.Map<String, String> env, String... args)
            throws java.io.IOException {
        List<String> command = new java.util.ArrayList<>(List.of(product.resolve("envoi").toString(), "--data",
                data.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("DISPLAY");
        pb.environment().remove("WAYLAND_DISPLAY");
        pb.environment().remove("ENVOI_VMARGS");
        pb.environment().remove("ENVOI_DB_PASSWORD");
        pb.environment().putAll(env);
        return pb.start();
    }

    /** As {@link #run(Path, Path, java.util.Map, String...)}, {@code stdin} written to its standard input. */
    static Run runWithInput(Path product, Path data, java.util.Map<String, String> env, String stdin, String... args)
            throws Exception {
        Process p = start(product, data, env, args);
        try (java.io.OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        List<String> err = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread errReader = drain(lines(p.getErrorStream()), err, "envoi-err");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(180, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("envoi " + args[0] + " did not end within 180 s");
        }
        errReader.join(5_000);
        return new Run(p.exitValue(), out, String.join("\n", err));
    }

    /** A process's output as UTF-8 lines. */
    static BufferedReader lines(InputStream stream) {
        return new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
    }

    /**
     * Reads the rest of a process's output line by line into {@code lines} on a thread of its own, until it ends; give
     * it the reader already in use, so that nothing it buffered is lost.
     */
    static Thread drain(BufferedReader reader, List<String> lines, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = reader) {
                for (String line; (line = r.readLine()) != null;) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(reader stopped: " + e + ")");
            }
        }, name);
        t.start();
        return t;
    }
}
