package org.envoi.api.oauth;

import java.net.URI;
import java.time.Duration;

/** One consent in progress; closing it releases whatever it holds (a port, a dialog). */
public interface ConsentSession extends AutoCloseable {

    /** The redirect URI to put in the authorization request. */
    URI redirectUri();

    /**
     * Shows {@code authorizationUrl} to the operator and waits for the redirect.
     *
     * @param expectedState the {@code state} of the request; an answer with another state is refused
     * @throws org.envoi.api.EnvoiException OAUTH_FAILED on time-out, cancel or a foreign answer
     */
    AuthorizationResponse await(URI authorizationUrl, String expectedState, Duration timeout);

    @Override
    void close();
}
