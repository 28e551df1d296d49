package org.envoi.api.tests.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Plays the operator in a browser on mock-oauth2-server's login page: opens the authorization URL, signs in as a user,
 * and follows the redirect back to wherever it points (Envoi's loopback listener).
 */
public final class BrowserUser {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String username;

    public BrowserUser(String username) {
        this.username = username;
    }

    /** Signs in on the login page and returns the redirect the provider answered with, without following it. */
    public URI signIn(URI authorizationUrl) {
        try {
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(authorizationUrl).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (page.statusCode() != 200 || !page.body().contains("name=\"username\"")) {
                throw new IllegalStateException("no login page at the authorization URL (HTTP " + page.statusCode()
                        + ")");
            }
            String form = "username=" + URLEncoder.encode(username, StandardCharsets.UTF_8) + "&claims=";
            HttpResponse<String> done = http.send(HttpRequest.newBuilder(authorizationUrl).timeout(TIMEOUT)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            String location = done.headers().firstValue("Location").orElseThrow(
                    () -> new IllegalStateException("the login did not redirect (HTTP " + done.statusCode() + ")"));
            return URI.create(location);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Opens a URL as the browser would (the redirect to the loopback listener) and returns the status. */
    public int open(URI url) {
        try {
            return http.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The whole browser side of a consent: sign in, then land on the redirect URI. */
    public void signInAndReturn(URI authorizationUrl) {
        open(signIn(authorizationUrl));
    }
}
