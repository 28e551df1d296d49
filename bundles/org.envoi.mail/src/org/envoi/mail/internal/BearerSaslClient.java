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
 * RFC 4954 limits an AUTH command line to 12,288 octets: when the base64 initial response would not fit, this client
 * says it has none, so that Angus sends {@code AUTH XOAUTH2} alone and the response after the server's 334.
 */
final class BearerSaslClient implements SaslClient {

    /** RFC 4954 section 4: the whole AUTH line, CRLF included. */
    static final int MAX_AUTH_LINE = 12_288;

    private final Mechanism mechanism;
    private final byte[] initial;
    private final SaslOutcome outcome;
    private boolean sent;
    private boolean complete;

    BearerSaslClient(Mechanism mechanism, String user, String token, String host, int port, SaslOutcome outcome) {
        this.mechanism = mechanism;
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
        return "AUTH ".length() + mechanism.name().length() + 1 + encoded + 2 <= MAX_AUTH_LINE;
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
