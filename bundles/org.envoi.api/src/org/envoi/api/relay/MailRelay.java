package org.envoi.api.relay;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The local relay of {@code envoi serve}: listeners that software speaking SMTP, IMAP or POP3 with a password logs in
 * to with its {@link RelayUsers} login. SMTP submissions go to the durable outbox (answered 250 once stored) and out
 * through the operator's flow; IMAP and POP3 sessions are passed to the flow's mailbox server, logged in with the
 * operator's token.
 */
public interface MailRelay {

    enum Protocol {
        SMTP, IMAP, POP3
    }

    /**
     * What to listen on.
     *
     * @param address where (a loopback address unless {@code allowRemote})
     * @param allowRemote the administrator's explicit consent to a non-loopback address; TLS is then required before
     *        any login
     * @param tls whether STARTTLS (SMTP, IMAP) / STLS (POP3) is offered; off only on a loopback address
     * @param certificate the administrator's certificate chain (PEM), with {@code key}; empty: Envoi's own, made on
     *        first start in the data folder
     * @param key the certificate's private key (PEM, PKCS#8, unencrypted)
     */
    record Listen(Protocol protocol, InetSocketAddress address, boolean allowRemote, boolean tls,
            Optional<Path> certificate, Optional<Path> key) {

        public Listen {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }
    }

    /** A running listener. */
    interface Listener extends AutoCloseable {

        Protocol protocol();

        /** Where it listens (the port chosen when 0 was asked). */
        InetSocketAddress address();

        /** The SHA-256 fingerprint of the certificate it offers (colon-separated hex), empty without TLS. */
        String certificateFingerprint();

        /** Submissions stored (SMTP) or sessions passed through (IMAP, POP3) since it started. */
        long accepted();

        /** Logins, senders, sizes refused since it started. */
        long refused();

        /** Stops accepting; a message being received is finished or refused, never half-stored. */
        @Override
        void close();
    }

    /**
     * @throws org.envoi.api.EnvoiException INVALID_INPUT naming {@code --allow-remote} for a non-loopback address
     *         without it, {@code --no-tls} for one without TLS, {@code --tls-cert}/{@code --tls-key} for unreadable
     *         or mismatched files; MAIL_UNAVAILABLE when the port is taken
     */
    Listener listen(Listen what);
}
