package org.envoi.relay.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.TlsMode;

/**
 * The connection to the flow's mailbox server, as the flow states it: host, port, TLS from the first byte or after
 * STARTTLS, the JDK's certificate authorities plus the flow's own (its {@code trustedCertificates}), the host name
 * checked. No TLS only to a loopback server, as everywhere in Envoi: a token never crosses a network in clear.
 */
final class Upstream {

    private static final Map<Optional<Path>, SSLSocketFactory> FACTORIES = new ConcurrentHashMap<>();

    private Upstream() {
    }

    /** Connected, over TLS already when the flow says TLS (STARTTLS is the protocol's to ask, then {@link #secure}). */
    static Wire connect(MailServer server, String protocol) throws IOException {
        if (server.endpoint().tls() == TlsMode.NONE && !server.isLoopback()) {
            throw new EnvoiException(ErrorCode.INSECURE_CONNECTION, "security", "The " + protocol + " server "
                    + server.endpoint().host() + " of this flow is set to no TLS: Envoi never sends a token in clear"
                    + " to another machine. Choose STARTTLS or TLS for this server.", null);
        }
        int timeout = (int) Math.min(Integer.MAX_VALUE, server.timeout().toMillis());
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(server.endpoint().host(), server.endpoint().port()), timeout);
            s.setSoTimeout(timeout);
            return new Wire(server.endpoint().tls() == TlsMode.TLS ? handshake(server, s) : s);
        } catch (IOException | RuntimeException e) {
            PassThrough.quietly(s);
            throw e;
        }
    }

    /** TLS over the connection after the server said yes to STARTTLS / STLS. */
    static Wire secure(MailServer server, Wire plain) throws IOException {
        return new Wire(handshake(server, plain.socket));
    }

    private static Socket handshake(MailServer server, Socket plain) throws IOException {
        SSLSocket s = (SSLSocket) factory(server.trustedCertificates()).createSocket(plain, server.endpoint().host(),
                server.endpoint().port(), true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host the flow gives
        s.setSSLParameters(p);
        s.setSoTimeout(plain.getSoTimeout());
        s.startHandshake();
        return s;
    }

    private static SSLSocketFactory factory(Path extra) {
        return FACTORIES.computeIfAbsent(Optional.ofNullable(extra), e -> {
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] { trust(e) }, null);
                return ctx.getSocketFactory();
            } catch (GeneralSecurityException | IOException x) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "trustedCertificates", "The certificates the"
                        + " flow trusts (" + e.orElse(null) + ") cannot be read: " + x.getMessage(), x);
            }
        });
    }

    /** The JDK's authorities, and the flow's PEM file when it names one: a chain either accepts is trusted. */
    private static X509TrustManager trust(Optional<Path> pem) throws GeneralSecurityException, IOException {
        List<X509TrustManager> managers = new ArrayList<>();
        managers.add(manager(null));
        if (pem.isPresent()) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (InputStream in = Files.newInputStream(pem.get())) {
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("flow-" + i++, c);
                }
            }
            managers.add(manager(ks));
        }
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("the relay's upstream side is a client only");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                CertificateException last = null;
                for (X509TrustManager m : managers) {
                    try {
                        m.checkServerTrusted(chain, authType);
                        return;
                    } catch (CertificateException e) {
                        last = e;
                    }
                }
                throw last;
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return managers.stream().flatMap(m -> java.util.Arrays.stream(m.getAcceptedIssuers())).toArray(
                        X509Certificate[]::new);
            }
        };
    }

    private static X509TrustManager manager(KeyStore ks) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(ks);
        for (TrustManager m : f.getTrustManagers()) {
            if (m instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager");
    }
}
