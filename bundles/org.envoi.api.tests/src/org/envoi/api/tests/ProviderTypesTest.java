package org.envoi.api.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.EndpointTemplate;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailCapability;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.junit.jupiter.api.Test;

class ProviderTypesTest {

    private static final EndpointTemplate MS = new EndpointTemplate(
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token");

    @Test
    void tenantIsSubstituted() {
        assertEquals(URI.create("https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"),
                MS.resolve("contoso.com"));
        assertTrue(MS.needsTenant());
        EndpointTemplate fixed = new EndpointTemplate("https://oauth2.googleapis.com/token");
        assertFalse(fixed.needsTenant());
        assertEquals(URI.create("https://oauth2.googleapis.com/token"), fixed.resolve(null));
    }

    @Test
    void tenantCannotRewriteTheUrl() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MS.resolve("evil.com/oauth2?x="));
        assertTrue(e.getMessage().startsWith("tenant"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MS.resolve("../common"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> MS.resolve(" "));
        assertTrue(missing.getMessage().contains("tenant"), missing.getMessage());
    }

    @Test
    void portOutOfRangeIsRefusedWithTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ServerEndpoint("smtp.example.com", 70000, TlsMode.STARTTLS));
        assertTrue(e.getMessage().contains("1 to 65535"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ServerEndpoint(" ", 25, TlsMode.NONE));
    }

    @Test
    void scopesAreCollectedInCapabilityOrderWithoutDuplicates() {
        ProviderPreset p = new ProviderPreset(MS, MS, Optional.empty(),
                Map.of(MailCapability.SEND, List.of("mail"), MailCapability.READ_IMAP, List.of("mail"),
                        MailCapability.OFFLINE_ACCESS, List.of("offline")),
                Optional.empty(), new ServerEndpoint("s", 587, TlsMode.STARTTLS),
                new ServerEndpoint("i", 993, TlsMode.TLS), Optional.empty(), Optional.empty(), ConsentHost.LOOPBACK,
                Map.of());
        assertEquals(List.of("mail", "offline"), p.scopesFor(EnumSet.of(MailCapability.OFFLINE_ACCESS,
                MailCapability.READ_IMAP, MailCapability.SEND)));
        assertFalse(p.supports(MailCapability.READ_POP), "no POP server, no POP");
    }

    @Test
    void commonChecksNameTheField() {
        ProviderFields ok = new ProviderFields("", "id", "http://127.0.0.1:3017/", List.of("s"), ConsentHost.LOOPBACK,
                false);
        assertEquals(List.of(), ok.commonProblems());
        assertTrue(new ProviderFields("", "id", "", List.of("s"), ConsentHost.LOOPBACK, false).isLoopbackRedirect());
        List<FieldProblem> bad = new ProviderFields("", " ", "ftp://x", List.of(), ConsentHost.EMBEDDED, false)
                .commonProblems();
        assertEquals(List.of("clientId", "scopes", "redirectUri"), bad.stream().map(FieldProblem::field).toList());
        List<FieldProblem> https = new ProviderFields("", "id", "https://erp.example.com/cb", List.of("s"),
                ConsentHost.LOOPBACK, false).commonProblems();
        assertEquals(List.of("redirectUri"), https.stream().map(FieldProblem::field).toList(),
                "system-browser consent needs a loopback redirect");
    }

    @Test
    void standardOAuthErrorsAreClassified() {
        assertEquals(ProviderError.Kind.CONSENT_REQUIRED, ProviderError.standard("invalid_grant", null).kind());
        assertEquals(ProviderError.Kind.TRANSIENT, ProviderError.standard("server_error", "x").kind());
        ProviderError long_ = ProviderError.standard("weird", "a\r\nb".repeat(400));
        assertFalse(long_.sentence().contains("\n"), "one line");
        assertTrue(long_.sentence().length() < 400, "clipped");
    }

    @Test
    void errorsCarryTheirCodeFirst() {
        EnvoiException e = new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "tenant", "tenant is empty", null);
        assertEquals("INVALID_FLOW_DATA: tenant is empty", e.toString());
        assertEquals("tenant", e.field());
    }
}
