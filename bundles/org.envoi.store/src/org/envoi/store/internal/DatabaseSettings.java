package org.envoi.store.internal;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.provider.EndpointRule;

/**
 * A shared PostgreSQL database as the framework properties choose it, checked before anything connects: every mail
 * and a generic flow's tokens are in its rows, so it is reached over TLS unless it is on this machine, and its
 * password never sits in a property (the product's {@code .ini} and a process's command line are readable by every
 * local user).
 *
 * @param passwordFrom where the password came from as the user set it ({@value #PASSWORD_VARIABLE}, or the file named
 *        by {@value #PASSWORD_FILE}), for an error that says which setting to correct; null when there is none
 */
public record DatabaseSettings(String url, String user, String password, String passwordFrom) {

    public static final String URL = "envoi.db.url";
    public static final String USER = "envoi.db.user";
    /** Refused: named so that the refusal can say where the password goes instead. */
    public static final String PASSWORD = "envoi.db.password";
    public static final String PASSWORD_FILE = "envoi.db.passwordFile";
    public static final String ALLOW_INSECURE = "envoi.db.allowInsecure";
    public static final String PASSWORD_VARIABLE = "ENVOI_DB_PASSWORD";

    /** PostgreSQL JDBC's {@code sslmode} values that never fall back to a connection in clear. */
    private static final Set<String> TLS_MODES = Set.of("require", "verify-ca", "verify-full");

    /** Settings given by a program: the password's origin is not one a user set. */
    public DatabaseSettings(String url, String user, String password) {
        this(url, user, password, null);
    }

    @Override
    public String toString() {
        return "DatabaseSettings[" + url + ", " + user + "]"; // never the password
    }

    /**
     * @param property the framework properties
     * @param environment the process's environment ({@link System#getenv()})
     * @return empty for the embedded H2 database ({@value #URL} not set)
     * @throws EnvoiException INVALID_INPUT naming the property and what to do
     */
    public static Optional<DatabaseSettings> from(UnaryOperator<String> property, Map<String, String> environment) {
        if (property.apply(PASSWORD) != null) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, PASSWORD, PASSWORD + " is not read: a framework or"
                    + " command-line property can be read by other local users. Remove it and put the database"
                    + " password in the environment variable " + PASSWORD_VARIABLE + ", or in a file only you can"
                    + " read (chmod 600) named by " + PASSWORD_FILE + ".", null);
        }
        String url = property.apply(URL);
        if (url == null || url.isBlank()) {
            return Optional.empty();
        }
        url = url.strip();
        checkTransport(url, "true".equalsIgnoreCase(String.valueOf(property.apply(ALLOW_INSECURE)).strip()));
        String password = password(property, environment);
        String variable = environment.get(PASSWORD_VARIABLE);
        String from = password == null ? null : variable != null && !variable.isEmpty() ? PASSWORD_VARIABLE
                : PASSWORD_FILE + " (" + property.apply(PASSWORD_FILE).strip() + ")";
        return Optional.of(new DatabaseSettings(url, property.apply(USER), password, from));
    }

    private static String password(UnaryOperator<String> property, Map<String, String> environment) {
        String variable = environment.get(PASSWORD_VARIABLE);
        if (variable != null && !variable.isEmpty()) {
            return variable;
        }
        String file = property.apply(PASSWORD_FILE);
        if (file == null || file.isBlank()) {
            return null;
        }
        Path p = Path.of(file.strip());
        try {
            PosixFileAttributeView posix = Files.getFileAttributeView(p, PosixFileAttributeView.class);
            if (posix != null) {
                Set<PosixFilePermission> perms = posix.readAttributes().permissions();
                perms.retainAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE));
                if (!perms.isEmpty()) {
                    throw new EnvoiException(ErrorCode.INVALID_INPUT, PASSWORD_FILE, PASSWORD_FILE + " names " + p
                            + ", which other local users can read or change: make it yours only (chmod 600 " + p
                            + ") and start again; the password was not used.", null);
                }
            }
            String content = Files.readString(p, StandardCharsets.UTF_8);
            String password = content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
                    : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
            if (password.isEmpty()) {
                throw new EnvoiException(ErrorCode.INVALID_INPUT, PASSWORD_FILE, PASSWORD_FILE + " names " + p
                        + ", which is empty: write the database password in it.", null);
            }
            return password;
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, PASSWORD_FILE, PASSWORD_FILE + " names " + p
                    + ", which cannot be read (" + e.getClass().getSimpleName() + "): check the path and that it is"
                    + " yours.", null);
        }
    }

    /**
     * Refuses a URL that would reach a database on another machine without TLS, before any connection: its hosts are
     * all loopback addresses or {@code localhost} (never looked up: a name may point anywhere), or its
     * {@code sslmode} is one that never falls back to clear text.
     */
    public static void checkTransport(String url, boolean allowInsecure) {
        String prefix = "jdbc:postgresql:";
        if (!url.startsWith(prefix)) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, URL, URL + " must be a PostgreSQL JDBC URL such as"
                    + " jdbc:postgresql://db.example.com:5432/envoi?sslmode=verify-full (leave it unset for the"
                    + " embedded database).", null);
        }
        String rest = url.substring(prefix.length());
        int q = rest.indexOf('?');
        Map<String, String> params = params(q < 0 ? "" : rest.substring(q + 1));
        String target = q < 0 ? rest : rest.substring(0, q);
        List<String> hosts = new ArrayList<>();
        if (target.startsWith("//")) {
            String authority = target.substring(2);
            int slash = authority.indexOf('/');
            authority = slash < 0 ? authority : authority.substring(0, slash);
            for (String hostPort : authority.split(",")) {
                hosts.add(host(hostPort));
            }
        } else {
            hosts.add("localhost"); // jdbc:postgresql:database
        }
        String mode = params.get("sslmode");
        boolean tls = mode != null ? TLS_MODES.contains(mode.toLowerCase(Locale.ROOT))
                : "true".equalsIgnoreCase(params.get("ssl")) || "".equals(params.get("ssl"));
        if (tls || allowInsecure) {
            return;
        }
        for (String host : hosts) {
            if (!isLoopback(host)) {
                throw new EnvoiException(ErrorCode.INVALID_INPUT, URL, URL + " reaches the database on " + host
                        + " without TLS" + (mode != null ? " (sslmode=" + mode + ")" : "") + ", and every queued"
                        + " mail would cross the network in clear: add sslmode=verify-full (or sslmode=require) to"
                        + " " + URL + ", or set " + ALLOW_INSECURE + "=true if that network is yours alone."
                        + " Nothing was sent to it.", null);
            }
        }
    }

    private static String host(String hostPort) {
        String h = hostPort.strip();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.lastIndexOf(':');
        h = colon < 0 ? h : h.substring(0, colon);
        return h.isEmpty() ? "localhost" : h;
    }

    /** The one loopback rule of Envoi (names never looked up: a name may point anywhere). */
    private static boolean isLoopback(String host) {
        return EndpointRule.isLoopbackHost(host);
    }

    private static Map<String, String> params(String query) {
        Map<String, String> out = new HashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8).strip().toLowerCase(Locale.ROOT),
                    URLDecoder.decode(v, StandardCharsets.UTF_8).strip());
        }
        return out;
    }
}
