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
        BearerSaslClient c = new BearerSaslClient("smtp", Mechanism.XOAUTH2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
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
        BearerSaslClient c = new BearerSaslClient("smtp", Mechanism.OAUTHBEARER, "user,with=odd", "vF9dft4qmTc2", "server.example.com",
                143, outcome);
        String ir = new String(c.evaluateChallenge(new byte[0]), StandardCharsets.UTF_8);
        assertEquals("n,a=user=2Cwith=3Dodd,\u0001host=server.example.com\u0001port=143\u0001auth=Bearer vF9dft4qmTc2"
                + "\u0001\u0001", ir);
        assertArrayEquals(new byte[] { 0x01 }, c.evaluateChallenge("{\"status\":\"invalid_token\"}".getBytes()),
                "OAUTHBEARER answers the error challenge with %x01");
        assertEquals("invalid_token", outcome.status().orElseThrow());
    }

    @Test
    void aTokenTooLongForTheCommandLineIsSentAfterTheContinuation() throws Exception {
        // RFC 5321's 512-octet SMTP command line: "AUTH XOAUTH2 " + base64 + CRLF
        String fits = "x".repeat(330);
        assertTrue(new BearerSaslClient("smtp", Mechanism.XOAUTH2, "u@example.com", fits, "h", 587,
                new SaslOutcome()).hasInitialResponse(), "a short token goes on the AUTH line");
        BearerSaslClient microsoftSized = new BearerSaslClient("smtp", Mechanism.XOAUTH2, "u@example.com",
                "x".repeat(1500), "h", 587, new SaslOutcome());
        assertFalse(microsoftSized.hasInitialResponse(), "over 512 octets: AUTH alone, the response after 334");
        // after "334 " (empty challenge) the client gives its credentials
        assertTrue(new String(microsoftSized.evaluateChallenge(new byte[0]), StandardCharsets.UTF_8).startsWith(
                "user=u@example.com"));
        assertFalse(new BearerSaslClient("smtp", Mechanism.OAUTHBEARER, "u@example.com", "x".repeat(1500), "h",
                587, new SaslOutcome()).hasInitialResponse(), "the same for OAUTHBEARER");
        assertTrue(new BearerSaslClient("imap", Mechanism.XOAUTH2, "u@example.com", "x".repeat(4096), "h", 993,
                new SaslOutcome()).hasInitialResponse(), "IMAP takes a 4 KB token with SASL-IR (8,192-octet lines)");
        assertFalse(new BearerSaslClient("imap", Mechanism.XOAUTH2, "u@example.com", "x".repeat(6200), "h", 993,
                new SaslOutcome()).hasInitialResponse());
    }
}
