package org.envoi.oauth.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;

/**
 * The consent host of an authorization server that approves at once, without a page (the local sandbox): requests
 * the authorization URL and reads {@code code} and {@code state} from the redirect it answers with. Nothing listens
 * on the redirect URI. Not a host an operator chooses: it is never registered as a {@code ConsentHandler}, only as the
 * {@code follow-redirect} {@code TerminalConsent} the sandbox asks for.
 */
public final class FollowRedirectConsentHandler implements ConsentHandler {

    private static final URI REDIRECT = URI.create("http://127.0.0.1:3017/sandbox");

    @Override
    public ConsentSession open(Optional<URI> requested) {
        return new ConsentSession() {
            @Override
            public URI redirectUri() {
                return REDIRECT;
            }

            @Override
            public AuthorizationResponse await(URI authorizationUrl, String expectedState, Duration timeout) {
                HttpResponse<Void> answer;
                try {
                    answer = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout)
                            .build().send(HttpRequest.newBuilder(authorizationUrl).timeout(timeout).build(),
                                    HttpResponse.BodyHandlers.discarding());
                } catch (IOException e) {
                    throw new EnvoiException(ErrorCode.OAUTH_UNAVAILABLE, null, "The authorization server cannot be"
                            + " reached: " + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "The sign-in was interrupted.", e);
                }
                URI location = answer.headers().firstValue("Location").map(URI::create).orElseThrow(
                        () -> new EnvoiException(ErrorCode.OAUTH_FAILED, null, "The authorization server did not"
                                + " redirect (HTTP " + answer.statusCode() + ").", null));
                return RedirectQuery.toResponse(RedirectQuery.parse(location.getRawQuery()));
            }

            @Override
            public void close() {
                // nothing held
            }
        };
    }
}
