package org.envoi.api.tests.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL from Debian ({@code apt-get install postgresql}), its own cluster in a test folder, on 127.0.0.1
 * and a free port, trust authentication for the test user {@code envoi} ({@link #startWithPassword}: scram-sha-256
 * over TCP, as a shared database is set up). PostgreSQL refuses to run as root: as root the cluster belongs to the
 * {@code postgres} system user the package creates.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String USER = "envoi";
    public static final String DATABASE = "envoi";

    public final int port = TestServers.freePort();
    private final Path dir;
    private final Path bin;
    private final boolean asPostgres;
    /** The test user's password when TCP logins need one (scram-sha-256), else null: trust. */
    private final String password;
    private Process server;

    private PostgresServer(Path dir, Path bin, String password) {
        this.dir = dir;
        this.bin = bin;
        this.asPostgres = "root".equals(System.getProperty("user.name"));
        this.password = password;
    }

    public static PostgresServer start(Path base) {
        return start(base, null);
    }

    /**
     * A cluster whose TCP logins (every JDBC connection) need the test user's password, checked with scram-sha-256
     * as pg_hba.conf says; the local socket, which no test uses, stays trusted.
     */
    public static PostgresServer startWithPassword(Path base, String password) {
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("a password is needed");
        }
        return start(base, password);
    }

    private static PostgresServer start(Path base, String password) {
        Path bin = binaries();
        PostgresServer s = new PostgresServer(base.toAbsolutePath(), bin, password);
        try {
            s.init();
            s.run();
            s.createDatabase(DATABASE);
        } catch (IOException e) {
            s.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static Path binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                Path newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/postgres")))
                        .max(Comparator.comparing(v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D",
                                "0")))).orElse(null);
                if (newest != null) {
                    return newest.resolve("bin");
                }
            } catch (IOException e) {
                // reported below
            }
        }
        TestServers.missing("PostgreSQL is not installed in /usr/lib/postgresql: apt-get install postgresql (.ci/run"
                + " does)");
        throw new IllegalStateException("unreachable");
    }

    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    /** A fresh database in this cluster, e.g. one per test class. @return its JDBC URL */
    public String createDatabase(String name) throws IOException {
        exec(List.of(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER,
                "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \"" + name + "\""), "createdb");
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
    }

    /**
     * Runs one SQL statement with psql as the test user over TCP (with the password, if the cluster wants one).
     *
     * @return its rows, unaligned, one a line, fields separated by {@code |}
     */
    public String query(String database, String sql) throws IOException {
        String what = "query-" + System.nanoTime();
        exec(List.of(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER,
                "-d", database, "-v", "ON_ERROR_STOP=1", "-A", "-t", "-q", "-c", sql), what);
        return Files.readString(dir.resolve(what + ".log")).strip();
    }

    private void init() throws IOException {
        Files.createDirectories(dir);
        Path data = dir.resolve("data");
        if (asPostgres) {
            for (Path p = dir; p != null; p = p.getParent()) { // postgres must reach its folder
                java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
            }
            exec(List.of("chown", "postgres:postgres", dir.toString()), "chown");
        }
        List<String> initdb = new ArrayList<>(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U",
                USER, "-E", "UTF8", "--no-locale", "--no-sync"));
        Path pwfile = dir.resolve("pwfile");
        if (password == null) {
            initdb.addAll(List.of("-A", "trust"));
        } else {
            Files.writeString(pwfile, password + "\n");
            Files.setPosixFilePermissions(pwfile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            if (asPostgres) {
                exec(List.of("chown", "postgres:postgres", pwfile.toString()), "chown");
            }
            initdb.addAll(List.of("--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=" + pwfile));
        }
        try {
            exec(initdb, "initdb");
        } finally {
            Files.deleteIfExists(pwfile);
        }
    }

    private void run() throws IOException {
        Path data = dir.resolve("data");
        List<String> cmd = command(List.of(bin.resolve("postgres").toString(), "-D", data.toString(), "-p",
                Integer.toString(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
                "-c", "fsync=off", "-c", "max_connections=50"));
        server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("postgres.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("PostgreSQL stopped at start: " + Files.readString(dir.resolve(
                        "postgres.log")));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                sleep(100);
            }
        }
        throw new IllegalStateException("PostgreSQL did not listen on " + port + " within 30 s");
    }

    private List<String> command(List<String> cmd) {
        if (!asPostgres) {
            return cmd;
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        out.addAll(cmd);
        return out;
    }

    private void exec(List<String> cmd, String what) throws IOException {
        List<String> full = cmd.get(0).equals("chown") ? cmd : command(cmd);
        Path log = dir.resolve(what + ".log");
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile());
        if (password != null) {
            pb.environment().put("PGPASSWORD", password); // psql's TCP login
        }
        Process p = pb.start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(what + " failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            // a throw-away test cluster: stopped at once, open sessions or not
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
            try {
                server.waitFor(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
