package org.envoi.mail.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Sockets for mail connections. TCP_NODELAY is set on every socket: Angus Mail leaves Nagle's algorithm on, and the
 * end of each DATA then waits for a delayed ACK (about 28 ms a mail), which caps a sender near 35 mails/s.
 * TLS trusts the JDK's certificate authorities plus, when given, a PEM file of the company's own. A socket made for
 * work under a {@link org.envoi.api.Cancellation} is closed when it is cancelled.
 */
final class MailSockets {

    private MailSockets() {
    }

    static SocketFactory plain() {
        return new NoDelay(SocketFactory.getDefault());
    }

    static SSLSocketFactory tls(Path extraCertificates) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] { trustManager(extraCertificates) }, null);
            return new NoDelaySsl(ctx.getSocketFactory());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS with the certificates of " + extraCertificates + ": "
                    + e.getMessage(), e);
        }
    }

    private static X509TrustManager trustManager(Path pem) throws GeneralSecurityException, IOException {
        List<X509TrustManager> managers = new ArrayList<>();
        managers.add(defaultManager(null));
        if (pem != null) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (InputStream in = Files.newInputStream(pem)) {
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("extra-" + i++, c);
                }
            }
            managers.add(defaultManager(ks));
        }
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("client side only");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType)
                    throws java.security.cert.CertificateException {
                java.security.cert.CertificateException last = null;
                for (X509TrustManager m : managers) {
                    try {
                        m.checkServerTrusted(chain, authType);
                        return;
                    } catch (java.security.cert.CertificateException e) {
                        last = e;
                    }
                }
                throw last;
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return managers.stream().flatMap(m -> java.util.Arrays.stream(m.getAcceptedIssuers()))
                        .toArray(X509Certificate[]::new);
            }
        };
    }

    private static X509TrustManager defaultManager(KeyStore ks) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(ks);
        for (TrustManager m : f.getTrustManagers()) {
            if (m instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager");
    }

    private static Socket noDelay(Socket s) throws IOException {
        s.setTcpNoDelay(true);
        // "Test the service" cancelled: the socket its step waits on is closed, the blocked read ends at once
        org.envoi.api.Cancellation.current().ifPresent(c -> c.whenCancelled(() -> {
            try {
                s.close();
            } catch (IOException e) {
                // closed already
            }
        }));
        return s;
    }

    /** Plain sockets with TCP_NODELAY. */
    static final class NoDelay extends SocketFactory {
        private final SocketFactory d;

        NoDelay(SocketFactory d) {
            this.d = d;
        }

        @Override
        public Socket createSocket() throws IOException {
            return noDelay(d.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return noDelay(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return noDelay(d.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return noDelay(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return noDelay(d.createSocket(address, port, localAddress, localPort));
        }
    }

    /** TLS sockets with TCP_NODELAY; also layers TLS over an existing socket for STARTTLS. */
    static final class NoDelaySsl extends SSLSocketFactory {
        private final SSLSocketFactory d;

        NoDelaySsl(SSLSocketFactory d) {
            this.d = d;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return d.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return d.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return noDelay(d.createSocket(noDelay(s), host, port, autoClose));
        }

        @Override
        public Socket createSocket() throws IOException {
            return noDelay(d.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return noDelay(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return noDelay(d.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return noDelay(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return noDelay(d.createSocket(address, port, localAddress, localPort));
        }
    }
}
