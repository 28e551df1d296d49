package org.envoi.relay.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.envoi.api.EnvoiException;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.relay.RelayUsers;
import org.eclipse.angus.mail.util.MailStreamProvider;
import org.subethamail.smtp.AuthenticationHandler;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeUtility;

/**
 * The SMTP submission relay: SubEthaSMTP speaks the protocol (RFC 5321, AUTH PLAIN/LOGIN, STARTTLS, SIZE, dot
 * stuffing); Envoi decides. A client logs in with its {@link RelayUsers} login, may send only as its operator's address
 * or its flow's shared mailbox ({@code 553}), within its flow's size limit ({@code 552}, before DATA when it announced
 * SIZE), and hears {@code 250} only once the message is in the durable outbox: a kill right after it loses nothing.
 */
final class SmtpRelay implements MailRelay.Listener {

    private static final Logger LOG = Logger.getLogger(SmtpRelay.class.getName());
    /** Above any provider's limit (Microsoft 150 MB through Graph, 35 MB over SMTP): what SIZE announces. */
    private static final int MAX_MESSAGE = 150 * 1024 * 1024;

    private final SMTPServer server;
    private final String fingerprint;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final RelayServices services;
    private final LoginDelays delays = new LoginDelays();

    SmtpRelay(MailRelay.Listen what, RelayServices services, Optional<RelayTls> tls) {
        this.services = services;
        this.fingerprint = tls.map(t -> t.fingerprint).orElse("");
        boolean remote = !what.address().getAddress().isLoopbackAddress();
        SMTPServer.Builder b = SMTPServer.port(what.address().getPort()).bindAddress(what.address().getAddress())
                .softwareName("Envoi relay").hostName(hostName())
                .messageHandlerFactory(Submission::new)
                .authenticationHandlerFactory(new EasyAuthenticationHandlerFactory(this::login)).requireAuth(true)
                .maxMessageSize(MAX_MESSAGE).connectionTimeout(5, java.util.concurrent.TimeUnit.MINUTES)
                .serverSocketFactory(NoDelayServerSocket::new);
        if (tls.isPresent()) {
            b.enableTLS().startTlsSocketFactory(tls.get().context);
            // on a loopback address a local ERP may log in without TLS; elsewhere nothing before STARTTLS
            b.requireTLS(remote).showAuthCapabilitiesBeforeSTARTTLS(!remote);
        }
        this.server = b.build();
        try {
            server.start();
        } catch (RuntimeException e) {
            throw RelayServices.bindFailed("SMTP", what.address(), e);
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getCanonicalHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private void login(String user, String password, MessageContext context) throws LoginFailedException {
        String from = context.getRemoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress()
                : String.valueOf(context.getRemoteAddress());
        if (services.users().check(user, password.toCharArray()).isPresent()) {
            delays.succeeded(from);
            return;
        }
        refused.incrementAndGet();
        LOG.info("Envoi relay: SMTP login refused for user '" + user + "' from " + from);
        delays.failed(from);
        throw new LoginFailedException("5.7.8 Authentication credentials invalid: use the operator's id and the"
                + " relay password its administrator gave (envoi relay-user add)");
    }

    @Override
    public MailRelay.Protocol protocol() {
        return MailRelay.Protocol.SMTP;
    }

    @Override
    public InetSocketAddress address() {
        return new InetSocketAddress(server.getBindAddress().orElse(null), server.getPortAllocated());
    }

    @Override
    public String certificateFingerprint() {
        return fingerprint;
    }

    @Override
    public long accepted() {
        return accepted.get();
    }

    @Override
    public long refused() {
        return refused.get();
    }

    @Override
    public void close() {
        server.stop();
    }

    /** One mail transaction of a logged-in client. */
    private final class Submission implements MessageHandler {

        private final MessageContext context;
        private String operatorId;
        private Flow flow;
        private String from;
        private final List<String> recipients = new ArrayList<>();

        Submission(MessageContext context) {
            this.context = context;
        }

        @Override
        public void from(String address) throws RejectException {
            operatorId = context.getAuthenticationHandler().map(AuthenticationHandler::getIdentity)
                    .map(String::valueOf).orElseThrow(() -> new RejectException(530, "5.7.0 Authentication"
                            + " required"));
            Operator operator = services.operators().operator(operatorId).orElseThrow(() -> refuse(550,
                    "5.7.1 Operator '" + operatorId + "' no longer exists: ask the administrator"));
            String flowId = services.operators().flowOf(operatorId).orElseThrow(() -> refuse(550,
                    "5.7.1 Operator '" + operatorId + "' is attached to no flow: ask the administrator to attach it"));
            flow = services.flows().flow(flowId).orElseThrow(() -> refuse(550, "5.7.1 The flow '" + flowId
                    + "' of operator '" + operatorId + "' no longer exists: ask the administrator"));
            List<String> allowed = new ArrayList<>();
            if (!operator.email().isBlank()) {
                allowed.add(operator.email());
            }
            flow.genericAddress().ifPresent(allowed::add);
            if (allowed.stream().noneMatch(a -> a.equalsIgnoreCase(address))) {
                throw refuse(553, "5.7.1 <" + address + ">: sender address rejected: operator '" + operatorId
                        + "' sends as " + (allowed.isEmpty() ? "no address (give the operator one)"
                                : String.join(" or ", allowed)));
            }
            int declared = context instanceof Session s ? s.getDeclaredMessageSize() : 0;
            long limit = flow.attachmentLimitBytes();
            if (limit > 0 && declared > limit) {
                throw refuse(552, "5.3.4 The message's " + declared + " bytes are over the " + limit
                        + " bytes flow '" + flow.id() + "' allows: send it smaller");
            }
            from = address;
        }

        @Override
        public void recipient(String address) {
            recipients.add(address);
        }

        @Override
        public String data(InputStream in) throws RejectException, IOException {
            try {
                return store(in);
            } catch (RuntimeException e) {
                // never a dropped connection: the client hears a temporary failure and sends again
                LOG.log(Level.WARNING, "Envoi relay: a message of operator " + operatorId + " could not be taken", e);
                throw refuse(451, "4.3.0 Envoi could not take the message (" + e.getClass().getSimpleName()
                        + "); try again");
            }
        }

        private String store(InputStream in) throws RejectException, IOException {
            long limit = flow.attachmentLimitBytes();
            byte[] bytes = read(in, limit);
            if (bytes == null) {
                throw refuse(552, "5.3.4 The message is over the " + limit + " bytes flow '" + flow.id()
                        + "' allows: send it smaller");
            }
            String messageId;
            String subject;
            // Jakarta Mail finds its StreamProvider on the context class loader, which in a bundle sees no Angus
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(MailStreamProvider.class.getClassLoader());
            try {
                InternetHeaders headers = new InternetHeaders(new ByteArrayInputStream(bytes));
                String id = headers.getHeader("Message-ID", null);
                subject = decode(headers.getHeader("Subject", null));
                if (id == null || id.isBlank()) {
                    // every mail keeps one Message-ID from here on: a mail sent again after a crash is recognizable
                    messageId = UUID.randomUUID() + "@envoi.relay";
                    bytes = concat(("Message-ID: <" + messageId + ">\r\n").getBytes(StandardCharsets.US_ASCII),
                            bytes);
                } else {
                    messageId = id.strip().replaceAll("^<|>$", "");
                }
            } catch (MessagingException e) {
                throw refuse(554, "5.6.0 The message's headers cannot be read: " + e.getMessage());
            } finally {
                thread.setContextClassLoader(previous);
            }
            Optional<OutboxEntry> queued = services.outbox().entryOf(messageId);
            if (queued.isPresent()) {
                // submitted again: the client did not hear our 250 (its connection dropped); it goes once
                return alreadyQueued(queued.get(), messageId);
            }
            OutgoingMail mail = OutgoingMail.relayed(messageId, from, recipients, subject, bytes);
            long entry;
            try {
                entry = services.outbox().enqueue(flow.id(), operatorId, mail);
            } catch (EnvoiException | IllegalArgumentException e) {
                queued = services.outbox().entryOf(messageId);
                if (queued.isPresent()) { // the same message on two connections at once
                    return alreadyQueued(queued.get(), messageId);
                }
                LOG.log(Level.WARNING, "Envoi relay: the outbox did not take a message of operator " + operatorId
                        + ": " + e.getMessage(), e);
                throw refuse(451, "4.3.0 Envoi could not store the message (" + e.getMessage() + "): try again");
            }
            accepted.incrementAndGet();
            services.senders().wake();
            return "2.0.0 Ok: queued as " + entry + " <" + messageId + ">";
        }

        private String alreadyQueued(OutboxEntry entry, String messageId) throws RejectException {
            if (!entry.operatorId().equals(operatorId)) {
                throw refuse(554, "5.7.1 The Message-ID <" + messageId + "> is another operator's mail's: give"
                        + " each message its own Message-ID");
            }
            accepted.incrementAndGet();
            return "2.0.0 Ok: already queued as " + entry.id() + " <" + messageId + ">";
        }

        @Override
        public void done() {
            // nothing held
        }

        private RejectException refuse(int code, String text) {
            refused.incrementAndGet();
            return new RejectException(code, text);
        }
    }

    /**
     * Replies go out at once (TCP_NODELAY), and on Linux every read acknowledges at once (TCP_QUICKACK, which the
     * kernel drops again after a while, so it is set before each read): a client that keeps Nagle's algorithm on, as
     * Angus Mail does by default, holds the last bytes of each message until the relay has acknowledged the ones
     * before, and a delayed acknowledgement cost every mail ~20 ms (RelayBenchmark: 49 mails/s on one connection, 136
     * with a client without Nagle).
     */
    private static final class NoDelayServerSocket extends java.net.ServerSocket {

        NoDelayServerSocket() throws IOException {
            super();
        }

        @Override
        public java.net.Socket accept() throws IOException {
            java.net.Socket s = new QuickAckSocket();
            implAccept(s);
            s.setTcpNoDelay(true);
            return s;
        }
    }

    /** A socket whose reads each ask for an immediate acknowledgement, where the platform offers it. */
    private static final class QuickAckSocket extends java.net.Socket {

        private java.net.SocketOption<Boolean> quickAck;
        private InputStream in;

        @SuppressWarnings("unchecked")
        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (in == null) {
                for (java.net.SocketOption<?> o : supportedOptions()) {
                    if (o.name().equals("TCP_QUICKACK") && o.type() == Boolean.class) {
                        quickAck = (java.net.SocketOption<Boolean>) o; // jdk.net, Linux only
                    }
                }
                InputStream raw = super.getInputStream();
                in = quickAck == null ? raw : new java.io.FilterInputStream(raw) {
                    @Override
                    public int read() throws IOException {
                        ack();
                        return super.read();
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        ack();
                        return super.read(b, off, len);
                    }
                };
            }
            return in;
        }

        private void ack() {
            if (quickAck == null) {
                return;
            }
            try {
                setOption(quickAck, Boolean.TRUE);
            } catch (IOException | RuntimeException e) {
                quickAck = null; // not here after all: reads go on as they are
            }
        }
    }

    /** The whole message, or null once it passes the limit (0: none); the rest is left for the server to drain. */
    private static byte[] read(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0;) {
            total += n;
            if (limit > 0 && total > limit) {
                return null;
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String decode(String header) {
        if (header == null) {
            return "";
        }
        try {
            return MimeUtility.decodeText(MimeUtility.unfold(header)).strip();
        } catch (java.io.UnsupportedEncodingException e) {
            return header.strip();
        }
    }
}
