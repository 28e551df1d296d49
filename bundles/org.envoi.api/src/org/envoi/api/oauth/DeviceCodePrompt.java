package org.envoi.api.oauth;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * What the operator must see during a device-code sign-in (RFC 8628): open {@code verificationUri} on any device and
 * type {@code userCode}.
 */
@FunctionalInterface
public interface DeviceCodePrompt {

    void show(String userCode, URI verificationUri, Optional<URI> verificationUriComplete, Duration expiresIn);
}
