package org.envoi.provider.google.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailCapability;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.MailProviderContractTest;
import org.junit.jupiter.api.Test;

class GoogleProviderTest extends MailProviderContractTest {

    private static final String CLIENT = "1234567890-abc123def456.apps.googleusercontent.com";
    private static final List<String> SCOPES = List.of("https://mail.google.com/");

    @Override
    protected String providerId() {
        return "google";
    }

    @Override
    protected String bundleSymbolicName() {
        return "org.envoi.provider.google";
    }

    @Override
    protected ProviderFields validFields() {
        return new ProviderFields("", CLIENT, "http://127.0.0.1:3017/", SCOPES, ConsentHost.LOOPBACK, false);
    }

    private List<String> fieldsOf(ProviderFields f) {
        return provider.validate(f).stream().map(FieldProblem::field).toList();
    }

    @Test
    void presetMatchesGoogleDocumentation() {
        ProviderPreset p = provider.preset();
        assertEquals(URI.create("https://accounts.google.com/o/oauth2/v2/auth"), p.authorization().resolve(null));
        assertEquals(URI.create("https://oauth2.googleapis.com/token"), p.token().resolve(null));
        assertEquals(List.of("https://mail.google.com/"), p.scopesFor(EnumSet.allOf(MailCapability.class)));
        assertEquals(new ServerEndpoint("smtp.gmail.com", 587, TlsMode.STARTTLS), p.smtp());
        assertEquals(new ServerEndpoint("imap.gmail.com", 993, TlsMode.TLS), p.imap());
        assertEquals(ConsentHost.LOOPBACK, p.consentHost(), "Google refuses embedded browsers");
        assertEquals(Map.of("access_type", "offline", "prompt", "consent"), p.authorizationParameters());
        assertTrue(p.device().isEmpty(), "Google's device flow does not allow the Gmail scope");
    }

    @Test
    void embeddedBrowserAndDeviceCodeAreRefusedWithTheReason() {
        List<FieldProblem> embedded = provider.validate(new ProviderFields("", CLIENT, "", SCOPES,
                ConsentHost.EMBEDDED, false));
        assertEquals(List.of("consentHost"), embedded.stream().map(FieldProblem::field).toList());
        assertTrue(embedded.get(0).message().contains("disallowed_useragent"), embedded.get(0).message());
        assertEquals(List.of("consentHost"), fieldsOf(new ProviderFields("", CLIENT, "", SCOPES, ConsentHost.DEVICE,
                false)));
        assertEquals(List.of(), fieldsOf(new ProviderFields("", CLIENT, "", SCOPES, ConsentHost.PRINT, false)));
    }

    @Test
    void outOfBandRedirectIsGone() {
        List<FieldProblem> problems = provider.validate(new ProviderFields("", CLIENT, "urn:ietf:wg:oauth:2.0:oob",
                SCOPES, ConsentHost.PRINT, false));
        assertTrue(problems.stream().anyMatch(p -> p.field().equals("redirectUri") && p.message().contains("out-of-band")),
                problems.toString());
    }

    @Test
    void gmailApiScopesCannotAuthenticateSmtp() {
        List<String> fields = fieldsOf(new ProviderFields("", CLIENT, "",
                List.of("https://www.googleapis.com/auth/gmail.send"), ConsentHost.LOOPBACK, false));
        assertEquals(List.of("scopes", "scopes"), fields, "the Gmail API scope, then the missing mail scope");
    }

    @Test
    void tenantClientIdAndAppOnlyAreChecked() {
        assertEquals(List.of("tenant"), fieldsOf(new ProviderFields("contoso", CLIENT, "", SCOPES,
                ConsentHost.LOOPBACK, false)));
        assertEquals(List.of("clientId"), fieldsOf(new ProviderFields("", "4f3c2a1b-0000-4000-8000-123456789abc", "",
                SCOPES, ConsentHost.LOOPBACK, false)));
        assertEquals(List.of("appOnly"), fieldsOf(new ProviderFields("", CLIENT, "", SCOPES, ConsentHost.LOOPBACK,
                true)));
    }

    @Test
    void testingAppSevenDayLimitIsExplained() {
        ProviderError e = provider.explain("invalid_grant", "Token has been expired or revoked.");
        assertEquals(ProviderError.Kind.CONSENT_REQUIRED, e.kind());
        assertTrue(e.sentence().contains("7 days") && e.sentence().contains("Testing"), e.sentence());
        assertEquals(ProviderError.Kind.CONFIGURATION, provider.explain("disallowed_useragent", null).kind());
        assertEquals(ProviderError.Kind.CONFIGURATION, provider.explain("admin_policy_enforced", null).kind());
    }

    /**
     * Six months without use; an app left in "Testing" on the OAuth consent screen gets refresh tokens that die 7 days
     * after the sign-in, used or not: the flow says which with a field the editor and the command line show.
     */
    @Test
    void aSignInLapsesAfterSixMonthsUnusedOrSevenDaysAfterSigningInWhileTheAppIsInTesting() {
        org.envoi.api.provider.FieldDescription status = provider.fields().stream().filter(f -> f.key().equals(
                "google.publishingStatus")).findFirst().orElseThrow();
        assertEquals(org.envoi.api.provider.FieldDescription.Kind.CHOICE, status.kind());
        assertEquals(List.of("production", "testing"), status.choices());

        org.envoi.api.provider.SignInLifetime production = provider.signInLifetime(Map.of()).orElseThrow();
        assertEquals(java.time.Duration.ofDays(180), production.limit());
        assertTrue(production.renewedByUse());
        assertEquals(production, provider.signInLifetime(Map.of("google.publishingStatus", "production"))
                .orElseThrow());

        org.envoi.api.provider.SignInLifetime testing = provider.signInLifetime(Map.of("google.publishingStatus",
                "testing")).orElseThrow();
        assertEquals(java.time.Duration.ofDays(7), testing.limit());
        assertTrue(!testing.renewedByUse(), "counted from the sign-in: refreshing does not help");
        assertTrue(testing.advice().contains("Publish"), testing.advice());
    }
}
