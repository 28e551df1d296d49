package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15.12: on Windows {@code envoi.cmd} hands its command line ({@code %*}) to the start program
 * {@code envoi-launcher.jar}, which gives every argument to the command line untouched. There is no Windows here: the
 * start program runs from the built Linux product with the arguments {@code cmd}'s {@code %1} broke (at {@code =},
 * {@code ,}, {@code ;}, an empty argument) or let run a command ({@code &}, quotes), and the command line echoes them
 * back; {@code envoi.cmd} itself is checked as text.
 */
class StartProgramTest {

    @TempDir
    Path temp;

    /** What a cmd command line could not carry through %1: each value must come back exactly. */
    static final String NAME = "Zoë \"quoted\" & Söhne, K=V; a|b <c> ^d %PATH% !x! 東京 (e)";
    static final String EMAIL = "K=V,a;b&calc.exe\"@example.test";

    @Test
    void envoiCmdPassesItsCommandLineThroughAndParsesNoArgument() throws IOException {
        for (Path cmd : startScripts("envoi.cmd")) {
            String text = Files.readString(cmd, StandardCharsets.UTF_8);
            assertTrue(text.endsWith("\r\n") && text.replace("\r\n", "").indexOf('\n') < 0,
                    cmd + ": CRLF line ends (cmd can miss a goto label in a file with LF ends only)");
            List<String> code = text.lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.regionMatches(true, 0, "rem", 0, 3) && !l.startsWith("::"))
                    .toList();
            for (String line : code) {
                Matcher positional = Pattern.compile("(?i)%~?[a-z$:]*[1-9]").matcher(line);
                assertFalse(positional.find(), cmd + ": reads an argument by position: " + line);
                assertFalse(line.matches("(?i).*\\bshift\\b.*"), cmd + ": shifts the arguments: " + line);
                assertFalse(line.matches("(?i).*enabledelayedexpansion.*"), cmd + ": ! would be expanded: " + line);
            }
            List<String> runs = code.stream().filter(l -> l.contains("%*")).toList();
            assertEquals(1, runs.size(), cmd + ": one line passes %*: " + runs);
            String run = runs.get(0);
            assertTrue(run.contains("envoi-launcher.jar") && run.contains("org.envoi.launcher.Main")
                    && run.endsWith("%*"), cmd + ": the start program gets the command line as it came: " + run);
            assertFalse(run.startsWith("(") || run.startsWith("if ") || run.endsWith(")"),
                    cmd + ": %* inside a ( ) block ends it at the first ) of an argument: " + run);
            int opened = 0;
            for (String line : code.subList(0, code.indexOf(run))) {
                opened += count(line, '(') - count(line, ')');
            }
            assertEquals(0, opened, cmd + ": the %* line is inside a ( ) block");
            assertTrue(code.stream().anyMatch(l -> l.matches("(?i)setlocal\\s+disabledelayedexpansion")),
                    cmd + ": delayed expansion off, whatever the registry says");
        }
    }

    @Test
    void theStartProgramGivesEveryArgumentToTheCommandLineUntouched() throws Exception {
        Path data = temp.resolve("data");
        String java = javaOf(Path.of(System.getProperty("java.home")));
        assertArgumentsCome(data, java, Map.of());
    }

    @Test
    void anOldJavaFirstHandsOverToAJava21WithTheArgumentsUntouchedAndTheVmOptions() throws Exception {
        Optional<Path> old = oldJava();
        if (old.isEmpty()) {
            Assumptions.abort("no Java older than 21 under /usr/lib/jvm to start the program with");
        }
        Path data = temp.resolve("data-old-java");
        Map<String, String> env = Map.of("ENVOI_JAVA_HOME", System.getProperty("java.home"), "JAVA_HOME",
                old.get().toString(), "ENVOI_VMARGS", "-Xmx300m -Denvoi.test.vmarg=\"two words\"");
        assertArgumentsCome(data, javaOf(old.get()), env);
    }

    @Test
    void theStartProgramMakesAPrivateDataFolderAndReturnsTheCommandsExitCode() throws Exception {
        Path data = temp.resolve("new/data");
        String java = javaOf(Path.of(System.getProperty("java.home")));
        Run usage = start(java, Map.of(), "--data", data.toString(), "operator", "add", "x");
        assertEquals(2, usage.code(), usage.err());
        assertTrue(usage.err().strip().startsWith("USAGE: --email is required"), usage.err());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)),
                "a data folder the start program makes is its user's only");
        Run noFolder = start(java, Map.of(), "--data");
        assertEquals(2, noFolder.code(), noFolder.err());
        assertEquals("USAGE: --data needs a folder (envoi --help lists the commands)", noFolder.err().strip());
    }

    private void assertArgumentsCome(Path data, String java, Map<String, String> env) throws Exception {
        Run add = start(java, env, "--data", data.toString(), "operator", "add", "op-1", "--email", "op1@example.test",
                "--group", "", "--name", NAME);
        assertEquals(0, add.code(), add.out() + add.err());
        assertEquals("operator op-1 saved", add.out().strip());
        Run add2 = start(java, env, "--data", data.toString(), "operator", "add", "op-2", "--email", EMAIL,
                "--name", "\"quoted\"");
        assertEquals(0, add2.code(), add2.out() + add2.err());
        Run list = start(java, env, "--data", data.toString(), "operator", "list", "--json");
        assertEquals(0, list.code(), list.err());
        String json = list.out();
        // Jackson writes " as \" and leaves the rest, Unicode included, as it is (UTF-8 on standard output)
        assertTrue(json.contains("\"name\" : \"" + NAME.replace("\"", "\\\"") + "\""), json);
        assertTrue(json.contains("\"name\" : \"\\\"quoted\\\"\""), json);
        assertTrue(json.contains("\"email\" : \"" + EMAIL.replace("\"", "\\\"") + "\""), json);
        assertFalse(json.contains("\"group\""), "the empty --group is an empty value (no group), not dropped: " + json);
        assertTrue(Files.isDirectory(data.resolve("db")), "--data chose the data folder");
    }

    record Run(int code, String out, String err) {
    }

    /** {@code java -cp envoi-launcher.jar org.envoi.launcher.Main args...}, as envoi.cmd runs it. */
    private static Run start(String java, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(java, "-cp",
                BuiltProduct.linuxProduct().resolve("envoi-launcher.jar").toString(), "org.envoi.launcher.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("ENVOI_") || k.equals("JAVA_HOME"));
        pb.environment().put("ENVOI_VAULT_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
        pb.environment().put("LC_ALL", "C.UTF-8"); // arguments and standard output in UTF-8, as on a desktop
        pb.environment().remove("DISPLAY");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        List<String> err = new ArrayList<>();
        Thread reader = BuiltProduct.drain(BuiltProduct.lines(p.getErrorStream()), err, "start-program-err");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the command did not end");
        reader.join(5_000);
        return new Run(p.exitValue(), out, String.join("\n", err));
    }

    private static List<Path> startScripts(String name) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(BuiltProduct.products(), 8)) {
            s.filter(p -> p.getFileName().toString().equals(name)).forEach(found::add);
        }
        assertTrue(found.size() >= 4, "every product ships " + name + ": " + found);
        return found;
    }

    private static String javaOf(Path home) {
        return home.resolve("bin/java").toString();
    }

    /** A Java runtime older than 21 (the machine's default Java 17 on Debian 12), to start the program with. */
    private static Optional<Path> oldJava() throws IOException {
        Path jvm = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvm)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(jvm)) {
            return s.filter(h -> Files.isExecutable(h.resolve("bin/java"))).filter(h -> {
                try {
                    Path release = h.resolve("release");
                    Matcher m = Pattern.compile("JAVA_VERSION=\"(?:1\\.)?(\\d+)").matcher(Files.readString(release));
                    return m.find() && Integer.parseInt(m.group(1)) < 21;
                } catch (IOException | RuntimeException e) {
                    return false;
                }
            }).sorted().findFirst();
        }
    }

    private static int count(String s, char c) {
        return (int) s.chars().filter(x -> x == c).count();
    }

}
