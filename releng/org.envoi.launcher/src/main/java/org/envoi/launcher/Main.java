package org.envoi.launcher;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclEntryFlag;
import java.nio.file.attribute.AclEntryPermission;
import java.nio.file.attribute.AclEntryType;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Envoi's start program, what the {@code envoi} shell script does, in Java, for {@code envoi.cmd}: {@code cmd} can
 * only pass its command line on whole ({@code %*}); every argument is read here, from the array the JVM made of it,
 * and given to the Equinox launcher as it is.
 * <p>
 * {@code [--data DIR] COMMAND ...} runs a command of the command line ({@code org.envoi.cli.app}); without a command
 * (nothing, or options) the desktop starts. The data folder is {@code --data DIR}, else {@code ENVOI_DATA}, else
 * {@code ~/.envoi}. The Equinox launcher runs <em>in this JVM</em> when it is a Java 21+ and {@code ENVOI_VMARGS} is
 * empty. Otherwise a Java 21+ is searched for (ENVOI_JAVA_HOME, JAVA_HOME, jre beside this jar, the PATH, the usual
 * folders) and this program starts again on it with {@code ENVOI_VMARGS}, the arguments travelling in an environment
 * variable: Java's ProcessBuilder on Windows rebuilds a command line from a list and does not keep an argument's
 * inner quotes, so the arguments never go through one.
 * <p>
 * Compiled for Java 8 so that an old {@code java.exe} found first still runs it. No dependency, no OSGi.
 */
public final class Main {

    static final int MIN_JAVA = 21;
    /** The arguments of a hand-over to a Java 21+: "count:" then each argument's UTF-8 in base64, comma-separated. */
    static final String ARGS_VARIABLE = "ENVOI_LAUNCHER_ARGS";
    static final String HANDOVER_PROPERTY = "envoi.launcher.handover";
    private static final String CLI_APPLICATION = "org.envoi.cli.app";
    /** run's answer when the Equinox launcher returned instead of exiting: its framework may go on running. */
    static final int KEEP_RUNNING = Integer.MIN_VALUE;

    private Main() {
    }

    public static void main(String[] commandLine) {
        try {
            int code = run(commandLine);
            if (code != KEEP_RUNNING) {
                System.exit(code);
            }
        } catch (Failure f) {
            System.err.println(f.getMessage());
            System.exit(f.code);
        }
    }

    static int run(String[] commandLine) throws Failure {
        Path here = home();
        // the hand-over sets a property on the new JVM's own command line: a variable inherited by some process Envoi
        // started is never taken for this one's arguments
        boolean secondStart = Boolean.getBoolean(HANDOVER_PROPERTY);
        String[] args = secondStart ? decode(env(ARGS_VARIABLE)) : commandLine;
        String vmArgs = secondStart ? "" : env("ENVOI_VMARGS");
        if (javaFeature(System.getProperty("java.specification.version")) >= MIN_JAVA && vmArgs.isEmpty()) {
            return launch(here, args);
        }
        if (secondStart) {
            throw new Failure(1, "Envoi's start program was handed over to " + System.getProperty("java.home")
                    + " (Java " + System.getProperty("java.version") + "), which is not Java " + MIN_JAVA + "+.");
        }
        return handOver(here, findJava(here), splitOptions(vmArgs), args);
    }

    /** Starts the Equinox launcher in this JVM, as {@code java -jar plugins/org.eclipse.equinox.launcher_*.jar}. */
    static int launch(Path here, String[] args) throws Failure {
        Path launcher = equinoxLauncher(here);
        int first = 0;
        String data = env("ENVOI_DATA");
        if (data.isEmpty()) {
            data = System.getProperty("user.home", ".") + File.separator + ".envoi";
        }
        if (args.length > 0 && args[0].equals("--data")) {
            if (args.length < 2) {
                throw new Failure(2, "USAGE: --data needs a folder (envoi --help lists the commands)");
            }
            data = args[1];
            first = 2;
        }
        Path dataFolder = Paths.get(data).toAbsolutePath();
        makePrivateFolder(dataFolder);
        String command = args.length > first ? args[first] : "";
        boolean cli = command.equals("--help") || command.equals("-h") || !(command.isEmpty()
                || command.startsWith("-"));

        // the shell script's -D options; ENVOI_VMARGS came after them there, so one given there wins here too
        setDefault("osgi.requiredJavaVersion", Integer.toString(MIN_JAVA));
        setDefault("envoi.data", dataFolder.toString());
        List<String> equinox = new ArrayList<String>();
        if (cli) {
            // the command line: no window, no console log on standard output, and an outbox served only by a command
            // that queues mail (a command that lists flows never takes over mails the desktop is sending)
            setDefault("java.awt.headless", "true");
            setDefault("java.util.logging.config.file", here.resolve("cli-logging.properties").toString());
            setDefault("envoi.outbox.sender", "on-demand");
            equinox.addAll(Arrays.asList("-nosplash", "-data", dataFolder.resolve("workspace").toString(),
                    "-application", CLI_APPLICATION));
        } else {
            equinox.addAll(Arrays.asList("-data", dataFolder.resolve("workspace").toString(), "-consoleLog"));
        }
        equinox.addAll(Arrays.asList(args).subList(first, args.length));
        return invokeEquinox(launcher, equinox.toArray(new String[0]));
    }

    private static int invokeEquinox(Path launcher, String[] args) throws Failure {
        try {
            // its own loader over the jar, as -jar would: the launcher finds the installation from its jar's place
            URLClassLoader loader = new URLClassLoader(new URL[] {launcher.toUri().toURL()},
                    ClassLoader.getSystemClassLoader().getParent());
            Thread.currentThread().setContextClassLoader(loader);
            Method main = loader.loadClass("org.eclipse.equinox.launcher.Main").getMethod("main", String[].class);
            main.invoke(null, (Object) args); // exits the JVM with the application's code
            return KEEP_RUNNING; // as java -jar would: the JVM ends when the framework's threads do
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new Failure(1, "Envoi could not start: " + cause);
        } catch (ReflectiveOperationException | IOException e) {
            throw new Failure(1, "Envoi is damaged: " + launcher + " cannot be started (" + e + "); reinstall it.");
        }
    }

    /** Runs this program again on a Java 21+ with the JVM options; the arguments go through the environment. */
    static int handOver(Path here, Path java, List<String> vmArgs, String[] args) throws Failure {
        List<String> command = new ArrayList<String>();
        command.add(java.toString());
        command.addAll(vmArgs);
        command.add("-D" + HANDOVER_PROPERTY + "=true");
        command.add("-cp");
        command.add(ownJar().toString());
        command.add(Main.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put(ARGS_VARIABLE, encode(args));
        try {
            Process p = pb.start();
            // a Ctrl-C reaches both processes on a console: this one waits for Envoi to stop and returns its code
            ignoreInterrupt();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "envoi-stop-child"));
            while (true) {
                try {
                    return p.waitFor();
                } catch (InterruptedException e) {
                    // keep waiting: Envoi decides when it ends
                }
            }
        } catch (IOException e) {
            throw new Failure(1, "Envoi could not start " + java + ": " + e.getMessage());
        }
    }

    private static void ignoreInterrupt() {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object ignore = handler.getField("SIG_IGN").get(null);
            signal.getMethod("handle", signal, handler).invoke(null,
                    signal.getConstructor(String.class).newInstance("INT"), ignore);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // not on this JVM: a Ctrl-C then ends this process too, and Envoi goes on stopping on its own
        }
    }

    /** A Java 21+ in the shell script's order, or a one-line failure saying what to set. */
    static Path findJava(Path here) throws Failure {
        boolean windows = File.separatorChar == '\\';
        String exe = windows ? "java.exe" : "java";
        Set<Path> candidates = new LinkedHashSet<Path>();
        for (String home : new String[] {env("ENVOI_JAVA_HOME"), env("JAVA_HOME")}) {
            if (!home.isEmpty()) {
                candidates.add(Paths.get(home, "bin", exe));
            }
        }
        candidates.add(here.resolve("jre").resolve("bin").resolve(exe));
        for (String dir : env("PATH").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                candidates.add(Paths.get(unquote(dir), exe));
            }
        }
        List<Path> roots = new ArrayList<Path>();
        if (windows) {
            for (String v : new String[] {"ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"}) {
                if (!env(v).isEmpty()) {
                    for (String vendor : new String[] {"Java", "Eclipse Adoptium", "Microsoft", "Zulu",
                            "Amazon Corretto", "BellSoft", "OpenJDK"}) {
                        roots.add(Paths.get(env(v), vendor));
                    }
                }
            }
        } else {
            roots.add(Paths.get("/usr/lib/jvm"));
        }
        for (Path root : roots) {
            for (Path home : sortedChildren(root)) {
                candidates.add(home.resolve("bin").resolve(exe));
            }
        }
        if (!windows) {
            for (Path home : sortedChildren(Paths.get("/Library/Java/JavaVirtualMachines"))) {
                candidates.add(home.resolve("Contents/Home/bin/java"));
            }
        }
        for (Path java : candidates) {
            if (Files.isRegularFile(java) && javaFeature(java) >= MIN_JAVA) {
                return java;
            }
        }
        throw new Failure(1, "Envoi needs Java " + MIN_JAVA + " or newer and found none (this is Java "
                + System.getProperty("java.version") + " at " + System.getProperty("java.home") + "): install a Java "
                + MIN_JAVA + "+ runtime, or set ENVOI_JAVA_HOME to one.");
    }

    /** The feature release of the runtime at {@code bin/java}: its {@code release} file, else its -version. */
    static int javaFeature(Path java) {
        Path home = java.getParent() == null ? null : java.getParent().getParent();
        if (home != null && Files.isRegularFile(home.resolve("release"))) {
            Properties release = new Properties();
            try (InputStream in = Files.newInputStream(home.resolve("release"))) {
                release.load(in);
                int v = javaFeature(release.getProperty("JAVA_VERSION", "").replace("\"", ""));
                if (v > 0) {
                    return v;
                }
            } catch (IOException | IllegalArgumentException e) {
                // ask the runtime itself below
            }
        }
        try {
            Process p = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = readAll(p.getInputStream());
            p.waitFor();
            Matcher m = Pattern.compile("version \"([^\"]+)\"").matcher(new String(out, StandardCharsets.UTF_8));
            return m.find() ? javaFeature(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** "1.8.0_402" is 8, "17.0.2" 17, "21" 21. */
    static int javaFeature(String version) {
        Matcher m = Pattern.compile("^(?:1\\.)?(\\d+)").matcher(version == null ? "" : version.trim());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /**
     * ENVOI_VMARGS as options: split at white space, a double-quoted part kept whole (its quotes removed), as cmd
     * gave them to java.exe before, so that {@code -Dx="C:\My Files"} stays one option.
     */
    static List<String> splitOptions(String s) {
        List<String> out = new ArrayList<String>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (any) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    any = false;
                }
            } else {
                cur.append(c);
                any = true;
            }
        }
        if (any) {
            out.add(cur.toString());
        }
        return out;
    }

    static String encode(String[] args) {
        StringBuilder b = new StringBuilder().append(args.length).append(':');
        for (int i = 0; i < args.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(Base64.getEncoder().encodeToString(args[i].getBytes(StandardCharsets.UTF_8)));
        }
        return b.toString();
    }

    static String[] decode(String value) throws Failure {
        int colon = value.indexOf(':');
        try {
            int n = Integer.parseInt(value.substring(0, Math.max(colon, 0)));
            String[] parts = n == 0 ? new String[0] : value.substring(colon + 1).split(",", -1);
            if (parts.length != n) {
                throw new IllegalArgumentException("count " + n + ", found " + parts.length);
            }
            String[] args = new String[n];
            for (int i = 0; i < n; i++) {
                args[i] = new String(Base64.getDecoder().decode(parts[i]), StandardCharsets.UTF_8);
            }
            return args;
        } catch (IllegalArgumentException e) {
            throw new Failure(1, ARGS_VARIABLE + " is not the start program's: unset it and start Envoi again ("
                    + e.getMessage() + ")");
        }
    }

    /**
     * The data folder, made if missing, its user's only: 0700 on POSIX; on Windows one entry, the owner's, inherited
     * by everything made in it (the shell script runs with umask 077 and closes a folder others could enter).
     */
    static void makePrivateFolder(Path folder) throws Failure {
        if (Files.isDirectory(folder)) {
            return;
        }
        try {
            Path parent = folder.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                return;
            }
            Files.createDirectory(folder);
            AclFileAttributeView acl = Files.getFileAttributeView(folder, AclFileAttributeView.class);
            if (acl != null) {
                UserPrincipal owner = Files.getOwner(folder);
                AclEntry ownerOnly = AclEntry.newBuilder().setType(AclEntryType.ALLOW).setPrincipal(owner)
                        .setPermissions(EnumSet.allOf(AclEntryPermission.class))
                        .setFlags(AclEntryFlag.FILE_INHERIT, AclEntryFlag.DIRECTORY_INHERIT).build();
                acl.setAcl(Collections.singletonList(ownerOnly));
            }
        } catch (IOException e) {
            throw new Failure(1, "Envoi cannot make its data folder " + folder + " (" + e
                    + "): choose another with --data DIR or ENVOI_DATA.");
        }
    }

    static Path equinoxLauncher(Path here) throws Failure {
        List<Path> jars = new ArrayList<Path>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(here.resolve("plugins"),
                "org.eclipse.equinox.launcher_*.jar")) {
            for (Path p : s) {
                jars.add(p);
            }
        } catch (IOException e) {
            // reported below
        }
        if (jars.isEmpty()) {
            throw new Failure(1, "Envoi is incomplete: no plugins" + File.separator
                    + "org.eclipse.equinox.launcher_*.jar under " + here + "; reinstall it.");
        }
        Collections.sort(jars); // the shell's glob order: the last one wins
        return jars.get(jars.size() - 1);
    }

    /** The product's folder: where this jar is. */
    static Path home() throws Failure {
        Path jar = ownJar();
        return jar.getParent() == null ? Paths.get("").toAbsolutePath() : jar.getParent();
    }

    private static Path ownJar() throws Failure {
        try {
            return Paths.get(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (Exception e) {
            throw new Failure(1, "Envoi's start program cannot tell where it is installed (" + e + ").");
        }
    }

    private static List<Path> sortedChildren(Path dir) {
        List<Path> out = new ArrayList<Path>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                out.add(p);
            }
        } catch (IOException e) {
            return out;
        }
        Collections.sort(out);
        return out;
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static String env(String name) {
        Map<String, String> env = System.getenv();
        String v = env.get(name);
        return v == null ? "" : v.trim();
    }

    private static String unquote(String dir) {
        return dir.length() > 1 && dir.startsWith("\"") && dir.endsWith("\"") ? dir.substring(1, dir.length() - 1)
                : dir;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) > 0;) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** A one-line error and the exit code the shell script gives for it. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        Failure(int code, String message) {
            super(message);
            this.code = code;
        }
    }
}
