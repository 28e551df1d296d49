package org.envoi.api.tests.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Keycloak (Maven Central's keycloak-quarkus-dist) on 127.0.0.1 in dev mode with a fresh file database: a real
 * device-code (RFC 8628) server, and a real check of client secrets (mock-oauth2-server takes any). Realm "envoi",
 * public client "envoi-device" with the device grant, confidential client "envoi-confidential" (secret
 * {@value #CONFIDENTIAL_SECRET}, authorization code with any loopback redirect, and client credentials), user alice /
 * alice-pw. The first start takes about a minute: test classes of one JVM share one with {@link #shared()}.
 */
public final class KeycloakServer implements AutoCloseable {

    public static final String REALM = "envoi";
    public static final String CLIENT = "envoi-device";
    public static final String USER = "alice";
    public static final String PASSWORD = "alice-pw";
    /** A confidential client: Keycloak refuses its token requests without this secret (401 unauthorized_client). */
    public static final String CONFIDENTIAL_CLIENT = "envoi-confidential";
    public static final String CONFIDENTIAL_SECRET = "kc-confidential-secret";

    private static final String REALM_JSON = """
            { "realm": "envoi", "enabled": true, "sslRequired": "none",
              "accessTokenLifespan": 300, "ssoSessionIdleTimeout": 1800,
              "oauth2DeviceCodeLifespan": 600, "oauth2DevicePollingInterval": 1,
              "clients": [{ "clientId": "envoi-device", "enabled": true, "publicClient": true,
                "protocol": "openid-connect", "standardFlowEnabled": false,
                "directAccessGrantsEnabled": false, "consentRequired": false,
                "attributes": { "oauth2.device.authorization.grant.enabled": "true" } },
               { "clientId": "envoi-confidential", "enabled": true, "publicClient": false,
                "secret": "kc-confidential-secret", "clientAuthenticatorType": "client-secret",
                "protocol": "openid-connect", "standardFlowEnabled": true, "serviceAccountsEnabled": true,
                "directAccessGrantsEnabled": false, "consentRequired": false,
                "redirectUris": ["http://127.0.0.1/*"], "attributes": { "pkce.code.challenge.method": "S256" } }],
              "users": [{ "username": "alice", "enabled": true, "email": "alice@example.com",
                "emailVerified": true, "firstName": "Alice", "lastName": "Test",
                "requiredActions": [], "realmRoles": ["default-roles-envoi"],
                "credentials": [{ "type": "password", "value": "alice-pw", "temporary": false }] }] }
            """;

    private final int port = TestServers.freePort();
    private final int managementPort = TestServers.freePort();
    private final Process process;
    private final Path log;

    private KeycloakServer(Path work) throws IOException {
        Path home = Files.list(TestServers.folder("keycloak")).filter(p -> p.getFileName().toString()
                .startsWith("keycloak-")).findFirst().orElseThrow(() -> new IOException("no keycloak-* folder"));
        Path importDir = home.resolve("data/import");
        Files.createDirectories(importDir);
        Files.writeString(importDir.resolve("envoi-realm.json"), REALM_JSON);
        Files.createDirectories(work);
        log = work.resolve("keycloak.log");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + managementPort,
                "--health-enabled=true", "--import-realm", "--db=dev-file",
                "--db-url=jdbc:h2:file:" + work.resolve("db/keycloak") + ";NON_KEYWORDS=VALUE")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        pb.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx384m");
        pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin-pw");
        process = pb.start();
    }

    /** Starts Keycloak with its database under {@code work} and waits until it is ready (up to 3 minutes). */
    public static KeycloakServer start(Path work) {
        KeycloakServer k;
        try {
            k = new KeycloakServer(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        k.awaitReady();
        return k;
    }

    private static KeycloakServer shared;

    /**
     * The Keycloak of this test JVM, started on first use (in a temporary folder) and stopped when the JVM exits: the
     * test classes that need one pay its start once.
     */
    public static synchronized KeycloakServer shared() {
        if (shared == null || !shared.process.isAlive()) {
            Path work;
            try {
                work = Files.createTempDirectory("envoi-keycloak");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            KeycloakServer started = start(work);
            // JDK classes only in the hook: the test bundles may be gone when it runs
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                started.close();
                try (java.util.stream.Stream<Path> s = Files.walk(work)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException | RuntimeException e) {
                    // best effort: a temporary folder
                }
            }, "envoi-keycloak-stop"));
            shared = started;
        }
        return shared;
    }

    private void awaitReady() {
        HttpClient http = HttpClient.newHttpClient();
        URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited; see " + log);
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("UP")) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
        throw new IllegalStateException("Keycloak was not ready within 3 minutes; see " + log);
    }

    public String base() {
        return "http://127.0.0.1:" + port + "/realms/" + REALM + "/protocol/openid-connect";
    }

    public URI deviceEndpoint() {
        return URI.create(base() + "/auth/device");
    }

    public URI tokenEndpoint() {
        return URI.create(base() + "/token");
    }

    public URI authorizationEndpoint() {
        return URI.create(base() + "/auth");
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
