package org.envoi.oauth.tests;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A form POST to the OAuth server, as an administrator's tool would send it (revocation...). */
final class OAuthHttp {

    private OAuthHttp() {
    }

    static int post(URI uri, String form) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
