package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.envoi.api.mail.MailLogin.Mechanism;
import org.junit.jupiter.api.Test;

/** The bytes on the wire, as Google, Microsoft and RFC 7628 define them. */
class SaslWireFormatTest {

    @Test
    void xoauth2InitialResponseIsTheDocumentedString() throws Exception {
        SaslOutcome outcome = new SaslOutcome();
        BearerSaslClient c = new BearerSaslClient(Mechanism.XOAUTH2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
                "smtp.gmail.com", 587, outcome);
        assertTrue(c.hasInitialResponse());
        byte[] ir = c.evaluateChallenge(new byte[0]);
        // Google's documented example
        assertEquals("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
                Base64.getEncoder().encodeToString(ir));
        assertFalse(c.isComplete(), "an error challenge may still come");
        byte[] answer = c.evaluateChallenge("{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://mail.google.com/\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(new byte[0], answer, "XOAUTH2 answers the error challenge with an empty response");
        assertTrue(c.isComplete());
        assertEquals("401", outcome.status().orElseThrow());
    }

    @Test
    void oauthbearerFollowsRfc7628() throws Exception {
        SaslOutcome outcome = new SaslOutcome();
        BearerSaslClient c = new BearerSaslClient(Mechanism.OAUTHBEARER, "user,with=odd", "vF9dft4qmTc2", "server.example.com",
                143, outcome);
        String ir = new String(c.evaluateChallenge(new byte[0]), StandardCharsets.UTF_8);
        assertEquals("n,a=user=2Cwith=3Dodd,\u0001host=server.example.com\u0001port=143\u0001auth=Bearer vF9dft4qmTc2"
                + "\u0001\u0001", ir);
        assertArrayEquals(new byte[] { 0x01 }, c.evaluateChallenge("{\"status\":\"invalid_token\"}".getBytes()),
                "OAUTHBEARER answers the error challenge with %x01");
        assertEquals("invalid_token", outcome.status().orElseThrow());
    }

    @Test
    void aTokenTooLongForTheAuthLineIsSentAfterTheContinuation() throws Exception {
        String fourKb = "x".repeat(4096);
        assertTrue(new BearerSaslClient(Mechanism.XOAUTH2, "u@example.com", fourKb, "h", 587, new SaslOutcome())
                .hasInitialResponse(), "a 4 KB token fits in RFC 4954's 12,288-octet AUTH line");
        BearerSaslClient huge = new BearerSaslClient(Mechanism.XOAUTH2, "u@example.com", "x".repeat(9500), "h", 587,
                new SaslOutcome());
        assertFalse(huge.hasInitialResponse(), "over the limit: AUTH alone, the response after 334");
        // after "334 " (empty challenge) the client gives its credentials
        assertTrue(new String(huge.evaluateChallenge(new byte[0]), StandardCharsets.UTF_8).startsWith("user=u@example.com"));
    }
}
