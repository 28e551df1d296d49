package org.envoi.api.tests.servers;

import java.io.IOException;
import java.net.CookieHandler;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays the operator on another device during a Keycloak device-code sign-in: opens the verification URL, logs in,
 * grants access; or in the browser of an authorization-code sign-in ({@link #signIn}). Over plain HTTP Keycloak
 * marks its cookies Secure; this user's cookie jar sends them anyway, as curl and browsers on localhost do.
 */
public final class KeycloakDeviceUser {

    private final HttpClient http = HttpClient.newBuilder().cookieHandler(new LoopbackCookies())
            .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(5)).build();

    public void approve(URI verificationUriComplete, String user, String password) {
        try {
            String login = get(verificationUriComplete);
            String action = unescape(find(login, "id=\"kc-form-login\"[^>]*action=\"([^\"]+)\""));
            String consent = post(URI.create(action), Map.of("username", user, "password", password));
            String consentAction = unescape(find(consent, "action=\"(/realms/[^\"]*/login-actions/consent[^\"]*)\""));
            String code = find(consent, "name=\"code\" value=\"([^\"]+)\"");
            URI base = verificationUriComplete.resolve("/");
            post(base.resolve(consentAction), Map.of("code", code, "accept", "Yes"));
        } catch (IOException e) {
            throw new IllegalStateException("the device sign-in page failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Opens the authorization URL, logs in on Keycloak's page and follows its redirect to wherever it points (Envoi's
     * loopback listener), as a browser does. The client asks for no consent screen.
     */
    public void signIn(URI authorizationUrl, String user, String password) {
        try {
            String login = get(authorizationUrl);
            String action = unescape(find(login, "id=\"kc-form-login\"[^>]*action=\"([^\"]+)\""));
            post(URI.create(action), Map.of("username", user, "password", password));
        } catch (IOException e) {
            throw new IllegalStateException("the sign-in page failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private String post(URI uri, Map<String, String> form) throws IOException, InterruptedException {
        StringBuilder b = new StringBuilder();
        form.forEach((k, v) -> b.append(b.length() == 0 ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(b.toString())).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static String find(String html, String regex) {
        Matcher m = Pattern.compile(regex).matcher(html);
        if (!m.find()) {
            throw new IllegalStateException("Keycloak's page has no match for " + regex);
        }
        return m.group(1);
    }

    private static String unescape(String s) {
        return s.replace("&amp;", "&");
    }

    /** Sends cookies marked Secure over plain HTTP to 127.0.0.1 (the JDK's store keeps them for https only). */
    private static final class LoopbackCookies extends CookieHandler {
        private final CookieManager store = new CookieManager(null, CookiePolicy.ACCEPT_ALL);

        @Override
        public Map<String, List<String>> get(URI uri, Map<String, List<String>> headers) throws IOException {
            try {
                return store.get(new URI("https", null, uri.getHost(), uri.getPort(), uri.getPath(), null, null),
                        headers);
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }

        @Override
        public void put(URI uri, Map<String, List<String>> headers) throws IOException {
            store.put(uri, headers);
        }
    }
}
