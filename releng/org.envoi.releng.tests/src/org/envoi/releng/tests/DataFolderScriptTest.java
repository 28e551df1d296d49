package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.envoi.api.tests.servers.TestServers;
import org.junit.jupiter.api.Test;

/**
 * The product's {@code envoi} script keeps the data folder to its user: run from a shell with the usual umask 022, a
 * command leaves a 0700 folder where every file and folder is owner-only, a folder of an earlier Envoi that others
 * could read is closed, and a second OS user (a real account) lists and reads nothing in it.
 */
class DataFolderScriptTest {

    private static final String OTHER = "envoi-other";
    private static final Set<PosixFilePermission> OTHERS = EnumSet.complementOf(EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));

    @Test
    void aCommandLeavesNothingAnotherLocalUserCanRead() throws Exception {
        otherUser();
        Path pub = Files.createTempDirectory("envoi-script-privacy");
        try {
            Files.setPosixFilePermissions(pub, PosixFilePermissions.fromString("rwxr-xr-x")); // reachable up to data/
            Path fresh = pub.resolve("fresh");
            Path earlier = pub.resolve("earlier"); // as an earlier Envoi left it
            Files.createDirectories(earlier.resolve("logs"));
            Files.setPosixFilePermissions(earlier, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(earlier.resolve("logs"), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(Files.writeString(earlier.resolve("logs/sandbox.log"), "earlier log"),
                    PosixFilePermissions.fromString("rw-r--r--"));

            for (Path data : List.of(fresh, earlier)) {
                Process p = envoi(data, "operator", "list");
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(180, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), err);
                List<Path> all;
                try (Stream<Path> s = Files.walk(data)) {
                    all = s.toList();
                }
                assertTrue(all.stream().anyMatch(f -> f.getFileName().toString().equals("envoi.mv.db")), "" + all);
                for (Path f : all) {
                    Set<PosixFilePermission> open = Files.getPosixFilePermissions(f);
                    open.retainAll(OTHERS);
                    assertTrue(open.isEmpty(), () -> f + " is " + open);
                    List<String> read = Files.isDirectory(f) ? List.of("ls", f.toString()) : List.of("cat",
                            f.toString());
                    assertNotEquals(0, asOther(read), () -> OTHER + " read " + f);
                }
            }
        } finally {
            TestServers.deleteQuietly(pub);
        }
    }

    private static Process envoi(Path data, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "umask 022; exec \"$0\" \"$@\"",
                BuiltProduct.linuxProduct().resolve("envoi").toString(), "--data", data.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        pb.environment().put("ENVOI_VAULT_KEY", Base64.getEncoder().encodeToString(key));
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("DISPLAY");
        return pb.start();
    }

    private static int asOther(List<String> command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", OTHER, "--"));
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue();
    }

    /** A second OS account (created once; the tests run as root for Postfix anyway). */
    private static void otherUser() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            TestServers.missing("root, to create the second OS user " + OTHER);
        }
        if (new ProcessBuilder("id", OTHER).start().waitFor() != 0) {
            Process add = new ProcessBuilder("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    OTHER).redirectErrorStream(true).start();
            String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, add.waitFor(), "useradd " + OTHER + ": " + out);
        }
    }
}
