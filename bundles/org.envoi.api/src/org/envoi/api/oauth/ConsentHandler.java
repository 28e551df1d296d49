package org.envoi.api.oauth;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Hosts the operator's consent: shows the provider's sign-in page and brings back the redirect. Registered as a
 * service with the property {@value #CONSENT_HOST} ({@code embedded}, {@code loopback}, {@code print}); the UI and
 * the CLI each provide theirs.
 */
public interface ConsentHandler {

    /** Service property naming the host; matches {@link org.envoi.api.provider.ConsentHost} in lower case. */
    String CONSENT_HOST = "consent.host";

    /**
     * Prepares one consent. A loopback host binds its one-shot listener here, so that the redirect URI (with the
     * real port) is known before the authorization URL is built.
     *
     * @param requested the flow's registered redirect URI, if it has one
     */
    ConsentSession open(Optional<URI> requested) throws IOException;
}
