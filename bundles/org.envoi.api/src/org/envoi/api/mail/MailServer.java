package org.envoi.api.mail;

import java.time.Duration;
import java.util.Objects;

import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;

/**
 * A mail server as a flow's service part names it, with the time-out of every network step (60 s by default, as in
 * the ERP documentation).
 *
 * @param endpoint host, port and TLS mode
 * @param timeout connect, read and write time-out
 * @param trustedCertificates PEM file of extra certificate authorities to trust (a company's own CA, a test CA), or
 *        null for the JDK's trust store only
 */
public record MailServer(ServerEndpoint endpoint, Duration timeout, java.nio.file.Path trustedCertificates) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    public MailServer {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(timeout, "timeout");
    }

    public static MailServer of(String host, int port, TlsMode tls) {
        return new MailServer(new ServerEndpoint(host, port, tls), DEFAULT_TIMEOUT, null);
    }

    public MailServer withTimeout(Duration t) {
        return new MailServer(endpoint, t, trustedCertificates);
    }

    public MailServer trusting(java.nio.file.Path pem) {
        return new MailServer(endpoint, timeout, pem);
    }

    /** True when the host is this machine's loopback: the only place a secret may travel without TLS. */
    public boolean isLoopback() {
        String h = endpoint.host();
        return h.equals("127.0.0.1") || h.equalsIgnoreCase("localhost") || h.equals("::1") || h.equals("[::1]");
    }
}
