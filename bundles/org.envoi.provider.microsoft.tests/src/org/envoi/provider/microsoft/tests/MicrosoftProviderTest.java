package org.envoi.provider.microsoft.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.EnumSet;
import java.util.List;

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

class MicrosoftProviderTest extends MailProviderContractTest {

    private static final String TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";
    private static final String CLIENT = "4f3c2a1b-0000-4000-8000-123456789abc";
    private static final List<String> SCOPES = List.of("https://outlook.office.com/SMTP.Send",
            "https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access");

    @Override
    protected String providerId() {
        return "microsoft";
    }

    @Override
    protected String bundleSymbolicName() {
        return "org.envoi.provider.microsoft";
    }

    @Override
    protected ProviderFields validFields() {
        return new ProviderFields(TENANT, CLIENT, "", SCOPES, ConsentHost.EMBEDDED, false);
    }

    private List<String> fieldsOf(ProviderFields f) {
        return provider.validate(f).stream().map(FieldProblem::field).toList();
    }

    @Test
    void presetMatchesMicrosoftDocumentation() {
        ProviderPreset p = provider.preset();
        assertEquals(URI.create("https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize"),
                p.authorization().resolve("contoso.com"));
        assertEquals(URI.create("https://login.microsoftonline.com/" + TENANT + "/oauth2/v2.0/token"),
                p.token().resolve(TENANT));
        assertEquals(URI.create("https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode"),
                p.device().orElseThrow().resolve("organizations"));
        assertEquals(List.of("https://outlook.office.com/SMTP.Send", "https://outlook.office.com/IMAP.AccessAsUser.All",
                "https://outlook.office.com/POP.AccessAsUser.All", "offline_access"),
                p.scopesFor(EnumSet.allOf(MailCapability.class)));
        assertEquals(new ServerEndpoint("smtp.office365.com", 587, TlsMode.STARTTLS), p.smtp());
        assertEquals(new ServerEndpoint("outlook.office365.com", 993, TlsMode.TLS), p.imap());
        assertEquals(new ServerEndpoint("outlook.office365.com", 995, TlsMode.TLS), p.pop().orElseThrow());
        assertEquals("https://outlook.office365.com/.default", p.appOnlyScope().orElseThrow());
        assertEquals(ConsentHost.EMBEDDED, p.consentHost());
    }

    @Test
    void singleTenantFlowNeedsItsTenant() {
        List<FieldProblem> problems = provider.validate(new ProviderFields("", CLIENT, "", SCOPES, ConsentHost.EMBEDDED,
                false));
        assertEquals(List.of("tenant"), problems.stream().map(FieldProblem::field).toList());
        assertTrue(problems.get(0).message().contains("Directory (tenant) ID"), problems.get(0).message());
        assertEquals(List.of("tenant"), fieldsOf(new ProviderFields("not a tenant!", CLIENT, "", SCOPES,
                ConsentHost.EMBEDDED, false)));
        assertEquals(List.of(), fieldsOf(new ProviderFields("organizations", CLIENT, "", SCOPES, ConsentHost.EMBEDDED,
                false)));
    }

    @Test
    void graphScopesAreRefusedForMail() {
        List<FieldProblem> problems = provider.validate(new ProviderFields(TENANT, CLIENT, "",
                List.of("https://graph.microsoft.com/Mail.Send", "offline_access"), ConsentHost.EMBEDDED, false));
        assertTrue(problems.stream().anyMatch(p -> p.field().equals("scopes") && p.message().contains("Graph")),
                problems.toString());
    }

    /** A flow sending through Microsoft Graph asks Graph's scopes, never Exchange's (one resource per request). */
    @Test
    void aGraphFlowAsksGraphsScopesAndNotExchanges() {
        List<String> graph = List.of("https://graph.microsoft.com/Mail.Send", "https://graph.microsoft.com/Mail.ReadWrite",
                "https://graph.microsoft.com/Files.ReadWrite", "offline_access");
        assertEquals(List.of(), provider.validate(new ProviderFields(TENANT, CLIENT, "", graph, ConsentHost.EMBEDDED,
                false), "graph"));
        List<FieldProblem> exchange = provider.validate(new ProviderFields(TENANT, CLIENT, "", SCOPES,
                ConsentHost.EMBEDDED, false), "graph");
        assertTrue(exchange.stream().anyMatch(p -> p.field().equals("scopes") && p.message().contains(
                "https://outlook.office.com/SMTP.Send' is not a Microsoft Graph scope")), exchange.toString());
        assertEquals(List.of(), provider.validate(new ProviderFields(TENANT, CLIENT, "", List.of(
                "https://graph.microsoft.com/.default"), ConsentHost.EMBEDDED, true), "graph"), "app-only Graph");
        assertEquals(List.of("tenant"), provider.validate(new ProviderFields("", CLIENT, "", graph,
                ConsentHost.EMBEDDED, false), "graph").stream().map(FieldProblem::field).toList(),
                "the other fields are checked as for SMTP");
        assertTrue(provider.validate(new ProviderFields(TENANT, CLIENT, "", graph, ConsentHost.EMBEDDED, false),
                "smtp").stream().anyMatch(p -> p.message().contains("Graph")), "SMTP still refuses them");
    }

    @Test
    void withoutOfflineAccessThereIsNoRefreshToken() {
        assertEquals(List.of("scopes"), fieldsOf(new ProviderFields(TENANT, CLIENT, "",
                List.of("https://outlook.office.com/SMTP.Send"), ConsentHost.EMBEDDED, false)));
    }

    @Test
    void appOnlyTakesTheDefaultScopeAndARealTenant() {
        List<String> appOnly = List.of("https://outlook.office365.com/.default");
        assertEquals(List.of(), fieldsOf(new ProviderFields(TENANT, CLIENT, "", appOnly, ConsentHost.EMBEDDED, true)));
        assertEquals(List.of("tenant"), fieldsOf(new ProviderFields("common", CLIENT, "", appOnly,
                ConsentHost.EMBEDDED, true)));
        assertEquals(List.of("scopes"), fieldsOf(new ProviderFields(TENANT, CLIENT, "", SCOPES, ConsentHost.EMBEDDED,
                true)));
    }

    @Test
    void clientIdMustBeTheApplicationGuid() {
        assertEquals(List.of("clientId"), fieldsOf(new ProviderFields(TENANT, "my-app", "", SCOPES,
                ConsentHost.EMBEDDED, false)));
    }

    @Test
    void aadstsCodesBecomeSentences() {
        ProviderError e = provider.explain("invalid_grant",
                "AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by"
                        + " conditional access. Trace ID: 1 Correlation ID: 2 Timestamp: 2026-11-22 10:00:00Z");
        assertEquals("AADSTS70043", e.code());
        assertEquals(ProviderError.Kind.CONSENT_REQUIRED, e.kind());
        assertTrue(e.sentence().contains("sign in again"), e.sentence());
        assertEquals(ProviderError.Kind.CONSENT_REQUIRED,
                provider.explain("invalid_grant", "AADSTS50173: The provided grant has expired").kind());
        assertEquals(ProviderError.Kind.CONSENT_REQUIRED,
                provider.explain("invalid_grant", "AADSTS65001: The user or administrator has not consented").kind());
        ProviderError secret = provider.explain("invalid_client", "AADSTS7000215: Invalid client secret provided.");
        assertEquals(ProviderError.Kind.CONFIGURATION, secret.kind());
        assertTrue(secret.sentence().contains("Value (not its Secret ID)"), secret.sentence());
        assertEquals(ProviderError.Kind.CONFIGURATION,
                provider.explain("invalid_client", "AADSTS7000222: The provided client secret keys are expired").kind());
    }

    /** Microsoft's own words (a real reply, 2026): Graph and Outlook scopes asked for in one request. */
    private static final String TWO_RESOURCES_70011 = "AADSTS70011: The provided value for the input parameter 'scope'"
            + " is not valid. One or more scopes in 'offline_access https://graph.microsoft.com/Mail.Read"
            + " https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/User.Read"
            + " https://outlook.office.com/IMAP.AccessAsUser.All' are not compatible with each other. Trace ID:"
            + " 758eb861-1234-4db2-9b2d-686729e3f500 Correlation ID: 17888df2-12e5-4c54-92e3-696c335fa90d Timestamp:"
            + " 2026-07-06 19:18:39Z";

    @Test
    void scopesOfTwoResourcesInOneRequestSayToKeepOneResource() {
        ProviderError e = provider.explain("invalid_scope", TWO_RESOURCES_70011);
        assertEquals("AADSTS70011", e.code());
        assertEquals(ProviderError.Kind.CONFIGURATION, e.kind());
        assertEquals(java.util.Optional.of("scopes"), e.field(), "the administrator fixes the flow's scopes");
        String s = e.sentence();
        assertTrue(s.contains("https://graph.microsoft.com") && s.contains("https://outlook.office.com"),
                "names the two resources: " + s);
        assertTrue(s.contains("one resource") && s.contains("sign-in of its own"), "says what to do: " + s);
        assertTrue(!s.contains("Trace ID"), "a sentence, not the reply: " + s);

        // the same refusal under its newer code, from another pair of resources
        ProviderError newer = provider.explain("invalid_scope", "AADSTS28000: Provided value for the input"
                + " parameter scope is not valid because it contains more than one resource. Scope"
                + " https://analysis.windows.net/powerbi/api/Report.Read.All https://graph.microsoft.com/Sites.Read.All"
                + " openid profile offline_access is not valid. Trace ID: de2aa854-ac14-48f8-a9f0-5a910e931b00"
                + " Correlation ID: ae8814a9-8532-4174-9f4e-d29b318cda8f Timestamp: 2024-07-17 14:42:13Z");
        assertEquals(ProviderError.Kind.CONFIGURATION, newer.kind());
        assertEquals(java.util.Optional.of("scopes"), newer.field());
        assertTrue(newer.sentence().contains("https://analysis.windows.net") && newer.sentence().contains(
                "one resource"), newer.sentence());

        // a scope Microsoft does not know, of one resource: not this sentence, still the scopes field
        ProviderError unknown = provider.explain("invalid_scope", "AADSTS70011: The provided value for the input"
                + " parameter 'scope' is not valid. The scope https://graph.microsoft.com/Directory.ReadWrite"
                + " offline_access is not valid.");
        assertEquals(ProviderError.Kind.CONFIGURATION, unknown.kind());
        assertEquals(java.util.Optional.of("scopes"), unknown.field());
        assertTrue(!unknown.sentence().contains("one resource"), unknown.sentence());
    }

    /** A Microsoft refresh token lives 90 days, and each refresh gives a new one for 90 more (it rotates). */
    @Test
    void aSignInLapsesAfterNinetyDaysUnused() {
        org.envoi.api.provider.SignInLifetime life = provider.signInLifetime(java.util.Map.of()).orElseThrow();
        assertEquals(java.time.Duration.ofDays(90), life.limit());
        assertTrue(life.renewedByUse(), "an inactivity limit: refreshing starts it again");
        assertTrue(life.source().startsWith("https://learn.microsoft.com/"), life.source());
    }
}
