package org.envoi.api.provider;

import java.util.Objects;

/** A mail server address with its protection. */
public record ServerEndpoint(String host, int port, TlsMode tls) {

    public ServerEndpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(tls, "tls");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host is empty: give the mail server's host name");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range: use 1 to 65535");
        }
    }

    @Override
    public String toString() {
        return host + ":" + port + " (" + tls + ")";
    }
}
