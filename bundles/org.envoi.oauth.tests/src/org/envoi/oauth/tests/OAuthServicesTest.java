package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;
import org.envoi.api.oauth.ConsentTerminal;
import org.envoi.api.oauth.TerminalConsent;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.tests.contract.OsgiServices;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/** The engine and the consent hosts are Declarative Services wired to the vault and the provider registry. */
class OAuthServicesTest {

    @Test
    void engineAndConsentHostsAreServices() {
        BundleContext ctx = OsgiServices.context(getClass());
        TokenService tokens = OsgiServices.get(ctx, TokenService.class, null);
        assertEquals(CredentialStatus.State.NONE, tokens.status("no-such-flow", "nobody").state());
        assertNotNull(OsgiServices.await(ctx, ConsentHandler.class, "(consent.host=loopback)"));
        assertNotNull(OsgiServices.await(ctx, ConsentHandler.class, "(consent.host=print)"));
    }

    /** What the command line and the sandbox use instead of the engine's classes: hosts by kind, for a terminal. */
    @Test
    void terminalConsentHostsAreServicesByKindAndTalkToTheTerminalGiven() throws Exception {
        BundleContext ctx = OsgiServices.context(getClass());
        assertNotNull(OsgiServices.await(ctx, TerminalConsent.class, "(consent.host=follow-redirect)"));

        TerminalConsent print = OsgiServices.get(ctx, TerminalConsent.class, "(consent.host=print)");
        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        BufferedReader typed = new BufferedReader(new StringReader("http://127.0.0.1:3017/?code=c1&state=s1\n"));
        ConsentHandler printing = print.open(ConsentTerminal.of(new PrintStream(shown, true, StandardCharsets.UTF_8),
                typed));
        try (ConsentSession s = printing.open(Optional.empty())) {
            AuthorizationResponse r = s.await(URI.create("https://idp.example/authorize?client_id=a"), "s1",
                    Duration.ofSeconds(10));
            assertEquals(Optional.of("c1"), r.code());
        }
        assertTrue(shown.toString(StandardCharsets.UTF_8).contains("https://idp.example/authorize?client_id=a"),
                shown.toString(StandardCharsets.UTF_8));

        TerminalConsent loopback = OsgiServices.get(ctx, TerminalConsent.class, "(consent.host=loopback)");
        URI[] redirect = new URI[1];
        URI[] opened = new URI[1];
        // the terminal's browser: a user agent that signs in at once and follows the redirect to the listener
        Consumer<URI> browser = uri -> {
            opened[0] = uri;
            new Thread(() -> {
                try {
                    HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(redirect[0]
                            + "?code=c2&state=s2")).build(), HttpResponse.BodyHandlers.discarding());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).start();
        };
        ConsentHandler listening = loopback.open(new ConsentTerminal(new PrintStream(shown, true,
                StandardCharsets.UTF_8), typed, Optional.of(browser)));
        try (ConsentSession s = listening.open(Optional.of(URI.create("http://127.0.0.1:0/cb")))) {
            redirect[0] = s.redirectUri();
            AuthorizationResponse r = s.await(URI.create("https://idp.example/authorize?client_id=b"), "s2",
                    Duration.ofSeconds(10));
            assertEquals(Optional.of("c2"), r.code());
        }
        assertEquals(URI.create("https://idp.example/authorize?client_id=b"), opened[0], "the terminal's browser,"
                + " not the system one, got the address");
    }
}
