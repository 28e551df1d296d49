package org.envoi.mail.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import javax.security.sasl.SaslClient;
import javax.security.sasl.SaslException;

import org.envoi.api.mail.MailLogin.Mechanism;

/**
 * XOAUTH2 and OAUTHBEARER (RFC 7628) for Angus Mail's SASL path. On a failure the server answers the initial
 * response with a base64 JSON challenge (status, schemes, scope); this client keeps that JSON for the error message and
 * answers as each mechanism requires (XOAUTH2: an empty response; OAUTHBEARER: a single 0x01), so that the server
 * then sends its final failure instead of waiting.
 * <p>
 * When the AUTH command with its base64 initial response would be longer than the protocol's command line, this client
 * says it has none, so that Angus sends {@code AUTH XOAUTH2} alone and the response after the server's 334 (one more
 * round trip). For SMTP that line is RFC 5321's 512 octets (section 4.5.3.1.4): RFC 4954 allows 12,288 for AUTH, but
 * relays keep the 512 or a little more (Dovecot submission answers {@code 500 5.5.2 Line too long}, Postfix cuts lines
 * at its {@code line_length_limit} of 2048), and Microsoft's 1.5-3 KB tokens pass both. The response after the 334 is
 * read with a larger limit (Postfix: {@code smtpd_sasl_response_limit}, 12,288).
 */
final class BearerSaslClient implements SaslClient {

    /** RFC 5321 section 4.5.3.1.4: an SMTP command line, CRLF included. */
    static final int SMTP_COMMAND_LINE = 512;
    /** IMAP (SASL-IR, RFC 4959) has no fixed limit; RFC 7162 section 4 asks servers to take lines of 8,192 octets. */
    static final int IMAP_COMMAND_LINE = 8_192;

    private final Mechanism mechanism;
    private final byte[] initial;
    private final int maxAuthLine;
    /** What precedes the mechanism's name on the line: {@code AUTH } or IMAP's tag (up to 10 characters). */
    private final int commandPrefix;
    private final SaslOutcome outcome;
    private boolean sent;
    private boolean complete;

    /** @param protocol {@code smtp} or {@code imap}: the command line the AUTH or AUTHENTICATE must fit in */
    BearerSaslClient(String protocol, Mechanism mechanism, String user, String token, String host, int port,
            SaslOutcome outcome) {
        this.mechanism = mechanism;
        boolean imap = "imap".equalsIgnoreCase(protocol);
        this.maxAuthLine = imap ? IMAP_COMMAND_LINE : SMTP_COMMAND_LINE;
        this.commandPrefix = (imap ? "A0000000000 AUTHENTICATE " : "AUTH ").length();
        this.outcome = outcome;
        String ir = switch (mechanism) {
            case XOAUTH2 -> "user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001";
            case OAUTHBEARER -> "n,a=" + saslName(user) + ",\u0001host=" + host + "\u0001port=" + port
                    + "\u0001auth=Bearer " + token + "\u0001\u0001";
        };
        this.initial = ir.getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 7628 / RFC 5801: ',' and '=' in the authorization identity are escaped. */
    private static String saslName(String user) {
        return user.replace("=", "=3D").replace(",", "=2C");
    }

    @Override
    public String getMechanismName() {
        return mechanism.name();
    }

    @Override
    public boolean hasInitialResponse() {
        int encoded = 4 * ((initial.length + 2) / 3);
        return commandPrefix + mechanism.name().length() + 1 + encoded + 2 <= maxAuthLine;
    }

    @Override
    public byte[] evaluateChallenge(byte[] challenge) throws SaslException {
        if (!sent) {
            sent = true;
            return initial.clone();
        }
        // a challenge after the credentials: the server's JSON error; answer so that it sends the final status
        outcome.serverError(new String(challenge, StandardCharsets.UTF_8));
        complete = true;
        return mechanism == Mechanism.OAUTHBEARER ? new byte[] { 0x01 } : new byte[0];
    }

    @Override
    public boolean isComplete() {
        // stays false after the credentials: Angus only hands a later challenge to an incomplete client
        return complete;
    }

    @Override
    public byte[] unwrap(byte[] incoming, int offset, int len) throws SaslException {
        throw new IllegalStateException("no security layer");
    }

    @Override
    public byte[] wrap(byte[] outgoing, int offset, int len) throws SaslException {
        throw new IllegalStateException("no security layer");
    }

    @Override
    public Object getNegotiatedProperty(String propName) {
        return null;
    }

    @Override
    public void dispose() {
        Arrays.fill(initial, (byte) 0);
    }

    /** For tests of the wire format: the base64 initial response. */
    String encodedInitialResponse() {
        return Base64.getEncoder().encodeToString(initial);
    }
}
