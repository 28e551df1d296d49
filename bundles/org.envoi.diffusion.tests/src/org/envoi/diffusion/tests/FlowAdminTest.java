package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailServer;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/** The administrator's flow operations through the DS services, on the store and vault the product uses. */
class FlowAdminTest {

    private static FlowAdmin admin;
    private static FlowRepository flows;
    private static TokenVault vault;
    private static TokenService tokens;

    @BeforeAll
    static void services() {
        BundleContext ctx = OsgiServices.context(FlowAdminTest.class);
        admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        flows = OsgiServices.get(ctx, FlowRepository.class, null);
        vault = OsgiServices.get(ctx, TokenVault.class, null);
        tokens = OsgiServices.get(ctx, TokenService.class, null);
    }

    static Flow microsoft(String id, String tenant, List<String> scopes, String redirect, MailServer smtp) {
        return new Flow(id, "M365 " + id, FlowType.OAUTH2, "microsoft", new ProviderFields(tenant,
                "11111111-2222-3333-4444-555555555555", redirect, scopes, ConsentHost.LOOPBACK, false),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(smtp),
                Optional.of(MailServer.of("outlook.office365.com", 993, TlsMode.TLS)), Optional.empty(), "",
                Optional.empty(), 20_000_000, Optional.empty());
    }

    static final List<String> SCOPES = List.of("offline_access", "https://outlook.office.com/SMTP.Send",
            "https://outlook.office.com/IMAP.AccessAsUser.All");
    static final MailServer SMTP = MailServer.of("smtp.office365.com", 587, TlsMode.STARTTLS);

    private static FieldProblem only(List<FieldProblem> problems, String field) {
        return problems.stream().filter(p -> p.field().equals(field)).findFirst().orElseThrow(
                () -> new AssertionError("no problem on " + field + " in " + problems));
    }

    @Test
    void aValidFlowIsSavedWithItsSecretInTheVaultOnly() {
        String id = "m365-" + System.nanoTime();
        admin.save(microsoft(id, "contoso.onmicrosoft.com", SCOPES, "http://127.0.0.1:3017/", SMTP),
                Optional.of("s3cr3t-value~1"));
        assertTrue(flows.flow(id).isPresent());
        assertEquals(Optional.of("s3cr3t-value~1"), vault.read(VaultKey.clientSecret(id)));
        String export = admin.export();
        assertTrue(export.contains("\"" + id + "\""), export);
        assertFalse(export.contains("s3cr3t-value~1"), "an export never carries a secret");
    }

    @Test
    void eachBadFieldIsNamedWithWhatToDo() {
        List<FieldProblem> noTenant = admin.validate(microsoft("a", "", SCOPES, "", SMTP));
        assertTrue(only(noTenant, "tenant").message().length() > 20, noTenant.toString());
        List<FieldProblem> unknownScope = admin.validate(microsoft("b", "contoso.onmicrosoft.com", List.of(
                "offline_access", "https://outlook.office.com/SMTP.Send", "Mail.ReadEverything"), "", SMTP));
        assertTrue(only(unknownScope, "scopes").message().contains("Mail.ReadEverything"), unknownScope.toString());
        List<FieldProblem> redirect = admin.validate(microsoft("c", "contoso.onmicrosoft.com", SCOPES,
                "http://erp.example.com/callback", SMTP));
        assertTrue(only(redirect, "redirectUri").message().contains("127.0.0.1"), redirect.toString());
        List<FieldProblem> clear = admin.validate(microsoft("d", "contoso.onmicrosoft.com", SCOPES, "",
                MailServer.of("smtp.office365.com", 25, TlsMode.NONE)));
        assertTrue(only(clear, "smtp.security").message().contains("STARTTLS"), clear.toString());
        Flow custom = new Flow("e", "Custom", FlowType.OAUTH2, "custom", new ProviderFields("", "id", "",
                List.of("mail"), ConsentHost.LOOPBACK, false), Optional.of(URI.create("ftp://id.example.com/auth")),
                Optional.empty(), Optional.empty(), Optional.of(SMTP), Optional.empty(), Optional.empty(), "",
                Optional.of("not an address"), 0, Optional.empty());
        List<FieldProblem> bad = admin.validate(custom);
        assertTrue(only(bad, "authorizationUri").message().contains("https"), bad.toString());
        only(bad, "tokenUri");
        only(bad, "genericAddress");

        String id = "refused-" + System.nanoTime();
        EnvoiException e = assertThrows(EnvoiException.class, () -> admin.save(microsoft(id, "", SCOPES, "", SMTP),
                Optional.of("never-stored")));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code());
        assertEquals("tenant", e.field());
        assertTrue(flows.flow(id).isEmpty(), "nothing saved");
        assertTrue(vault.read(VaultKey.clientSecret(id)).isEmpty(), "no secret stored");
        assertFalse(e.getMessage().contains("never-stored"));
    }

    private static Flow withEndpoints(Flow f, String auth, String token, String device) {
        return new Flow(f.id(), f.name(), f.type(), f.providerId(), f.oauth(),
                Optional.ofNullable(auth).map(URI::create), Optional.ofNullable(token).map(URI::create),
                Optional.ofNullable(device).map(URI::create), f.smtp(), f.imap(), f.pop(), f.username(),
                f.genericAddress(), f.attachmentLimitBytes(), f.secretExpiry());
    }

    private static Flow google(String id) {
        return new Flow(id, "Gmail " + id, FlowType.OAUTH2, "google", new ProviderFields("",
                "123-abc.apps.googleusercontent.com", "http://127.0.0.1:3017/", List.of("https://mail.google.com/"),
                ConsentHost.LOOPBACK, false), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(MailServer.of("smtp.gmail.com", 587, TlsMode.STARTTLS)), Optional.empty(),
                Optional.empty(), "", Optional.empty(), 0, Optional.empty());
    }

    @Test
    void aProviderFlowsEndpointsPassTheHttpsOrLoopbackRuleOnSave() {
        String id = "m365-http-" + System.nanoTime();
        Flow m365 = microsoft(id, "contoso.onmicrosoft.com", SCOPES, "", SMTP);
        for (String field : List.of("authorizationUri", "tokenUri", "deviceUri")) {
            String evil = "http://evil.example/" + field;
            Flow bad = withEndpoints(m365, field.equals("authorizationUri") ? evil : null,
                    field.equals("tokenUri") ? evil : null, field.equals("deviceUri") ? evil : null);
            EnvoiException e = assertThrows(EnvoiException.class, () -> admin.save(bad, Optional.of("never-sent")),
                    field + " " + evil + " was accepted");
            assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code());
            assertEquals(field, e.field(), e.getMessage());
            assertTrue(e.getMessage().contains("https"), e.getMessage());
            assertTrue(flows.flow(id).isEmpty(), "nothing saved");
            assertTrue(vault.read(VaultKey.clientSecret(id)).isEmpty(), "no secret stored");
        }
        Flow gmail = withEndpoints(google("g-http-" + System.nanoTime()), null, "http://evil.example/token", null);
        assertEquals("tokenUri", assertThrows(EnvoiException.class, () -> admin.save(gmail, Optional.empty()))
                .field());
        Flow tls = withEndpoints(google("g-ftp-" + System.nanoTime()), "ftp://accounts.google.com/auth", null, null);
        assertEquals("authorizationUri", assertThrows(EnvoiException.class, () -> admin.save(tls,
                Optional.empty())).field());

        for (String ok : List.of("https://login.example.com/t/token", "http://127.0.0.1:8080/token",
                "http://127.3.4.5/token", "http://localhost:9000/token", "http://[::1]:9000/token",
                "http://[0:0:0:0:0:0:0:1]/token")) {
            Flow good = withEndpoints(m365, ok.replace("token", "authorize"), ok, ok.replace("token", "devicecode"));
            assertEquals(List.of(), admin.validate(good), ok);
            admin.save(good, Optional.empty());
            assertEquals(Optional.of(URI.create(ok)), flows.flow(id).orElseThrow().tokenUri());
        }
        for (String bad : List.of("http://127.0.0.256/token", "http://127.0.0.1.evil.example/token",
                "http://[::2]/token", "http://localhost.evil.example/token")) {
            assertEquals("tokenUri", only(admin.validate(withEndpoints(m365, null, bad, null)), "tokenUri").field(),
                    bad);
        }
    }

    @Test
    void anImportedProviderFlowWithAnHttpEndpointIsRefusedWhole() {
        String good = "imp-ok-" + System.nanoTime();
        String bad = "imp-bad-" + System.nanoTime();
        String flow = "{\"id\": \"%s\", \"type\": \"oauth2\", \"provider\": \"microsoft\", \"tenant\":"
                + " \"contoso.onmicrosoft.com\", \"clientId\": \"11111111-2222-3333-4444-555555555555\", \"scopes\":"
                + " [\"offline_access\", \"https://outlook.office.com/SMTP.Send\"], %s\"smtp\": {\"host\":"
                + " \"smtp.office365.com\", \"port\": 587, \"security\": \"starttls\"}}";
        String json = "{\"envoi\": \"flows\", \"format\": 1, \"flows\": [" + String.format(flow, good,
                "\"tokenUri\": \"http://[::1]:8443/token\", ") + ", " + String.format(flow, bad,
                        "\"tokenUri\": \"http://evil.example/token\", ") + "]}";
        EnvoiException e = assertThrows(EnvoiException.class, () -> admin.importFlows(json));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code());
        assertEquals("flows[1].tokenUri", e.field(), e.getMessage());
        assertTrue(flows.flow(good).isEmpty() && flows.flow(bad).isEmpty(), "all or nothing");
        List<Flow> imported = admin.importFlows(json.replace("http://evil.example/token",
                "https://login.example.com/token"));
        assertEquals(2, imported.size());
    }

    /** A sign-in as the previous version stored it: no client ID or token endpoint recorded. */
    private static void signedInBeforeBindings(String flowId, String operator) {
        long in1h = java.time.Instant.now().getEpochSecond() + 3600;
        vault.write(VaultKey.tokens(flowId, operator), "{\"version\":1,\"access\":\"at-" + operator
                + "\",\"refresh\":\"rt-" + operator + "\",\"expiresAt\":" + in1h + ",\"scopes\":[],\"state\":"
                + "\"VALID\",\"lastRefresh\":0}");
    }

    @Test
    void anotherTokenEndpointOrClientIdAsksForTheSecretAndTheSignInsAgain() {
        String id = "moved-" + System.nanoTime();
        Flow before = microsoft(id, "contoso.onmicrosoft.com", SCOPES, "", SMTP);
        admin.save(before, Optional.of("first-secret"));
        signedInBeforeBindings(id, "op1");
        signedInBeforeBindings(id, "op2");
        assertEquals(CredentialStatus.State.VALID, tokens.status(id, "op1").state());
        assertEquals("at-op1", tokens.accessToken(admin.signInTarget(id, "op1").client(), "op1"),
                "an entry from before works for the endpoint the flow has");

        Flow moved = withEndpoints(before, null, "https://login.example.com/other/token", null);
        admin.save(moved, Optional.empty());
        for (String op : List.of("op1", "op2")) {
            CredentialStatus s = tokens.status(id, op);
            assertEquals(CredentialStatus.State.CONSENT_REQUIRED, s.state(), op);
            assertTrue(s.reason().orElseThrow().contains("token endpoint changed"), s.reason().orElseThrow());
        }
        assertFalse(admin.hasSecret(moved), "the secret must be entered again for the new endpoint");
        OAuthClient client = admin.signInTarget(id, "op1").client();
        EnvoiException e = assertThrows(EnvoiException.class, () -> tokens.accessToken(client, "op1"));
        assertEquals(ErrorCode.CONSENT_REQUIRED, e.code());
        EnvoiException secret = assertThrows(EnvoiException.class, () -> tokens.clientCredentials(client));
        assertEquals("clientSecret", secret.field(), secret.getMessage());

        admin.save(moved, Optional.of("second-secret"));
        assertTrue(admin.hasSecret(moved), "entered again");

        // an import with another client ID does the same to a new sign-in
        signedInBeforeBindings(id, "op3");
        String json = admin.export().replace("11111111-2222-3333-4444-555555555555",
                "99999999-2222-3333-4444-555555555555");
        admin.importFlows(json);
        CredentialStatus s3 = tokens.status(id, "op3");
        assertEquals(CredentialStatus.State.CONSENT_REQUIRED, s3.state());
        assertTrue(s3.reason().orElseThrow().contains("client ID changed"), s3.reason().orElseThrow());
        assertFalse(admin.hasSecret(flows.flow(id).orElseThrow()));
    }

    @Test
    void removingAFlowRemovesItsSecretAndEveryOperatorsSignIn() {
        String id = "removed-" + System.nanoTime();
        admin.save(microsoft(id, "contoso.onmicrosoft.com", SCOPES, "", SMTP), Optional.of("the-secret"));
        signedInBeforeBindings(id, "op1");
        signedInBeforeBindings(id, "op2");
        vault.write(VaultKey.tokens(id, VaultKey.SHARED), "shared mailbox");
        signedInBeforeBindings("kept-" + id, "op1");
        assertTrue(admin.remove(id));
        assertEquals(List.of(), vault.keys(id), "no secret, no sign-in left");
        assertTrue(flows.flow(id).isEmpty());
        assertTrue(vault.read(VaultKey.tokens("kept-" + id, "op1")).isPresent(), "another flow's entries stay");
        assertFalse(admin.remove(id));
    }

    @Test
    void aPortOutOfRangeInAnImportNamesTheServerAndImportsNothing() {
        String good = "ok-" + System.nanoTime();
        String json = "{\"envoi\": \"flows\", \"format\": 1, \"flows\": [" + "{\"id\": \"" + good + "\", \"type\":"
                + " \"oauth2\", \"provider\": \"microsoft\", \"tenant\": \"contoso.onmicrosoft.com\", \"clientId\":"
                + " \"11111111-2222-3333-4444-555555555555\", \"scopes\": [\"offline_access\","
                + " \"https://outlook.office.com/SMTP.Send\"], \"smtp\": {\"host\": \"smtp.office365.com\", \"port\":"
                + " 587, \"security\": \"starttls\"}}, {\"id\": \"bad\", \"smtp\": {\"host\": \"smtp.example.com\","
                + " \"port\": 70000, \"security\": \"tls\"}}]}";
        EnvoiException e = assertThrows(EnvoiException.class, () -> admin.importFlows(json));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code());
        assertEquals("smtp", e.field());
        assertTrue(e.getMessage().contains("70000") && e.getMessage().contains("1 to 65535"), e.getMessage());
        assertTrue(flows.flow(good).isEmpty(), "the good flow of a bad file is not imported either");

        String roundTrip = admin.export();
        List<Flow> again = admin.importFlows(roundTrip);
        assertEquals(flows.flows().size(), again.size(), "an export imports back whole");
    }

    /** Exactly what the first Envoi (November 2026) wrote: the format now read through the FlowFormat service. */
    @Test
    void anExportWrittenByTheFirstEnvoiStillImports() {
        String id = "old-" + System.nanoTime();
        String json = """
                {
                  "envoi" : "flows",
                  "format" : 1,
                  "flows" : [ {
                    "id" : "%s",
                    "name" : "M365 sales",
                    "type" : "oauth2",
                    "provider" : "microsoft",
                    "tenant" : "contoso.onmicrosoft.com",
                    "clientId" : "11111111-2222-3333-4444-555555555555",
                    "redirectUri" : "http://127.0.0.1:3017/",
                    "scopes" : [ "offline_access", "https://outlook.office.com/SMTP.Send" ],
                    "consent" : "loopback",
                    "appOnly" : false,
                    "smtp" : {
                      "host" : "smtp.office365.com",
                      "port" : 587,
                      "security" : "starttls",
                      "timeoutSeconds" : 45
                    },
                    "username" : "",
                    "attachmentLimitBytes" : 20000000,
                    "secretExpiry" : "2027-06-30"
                  } ]
                }
                """.formatted(id);
        List<Flow> imported = admin.importFlows(json);
        assertEquals(List.of(id), imported.stream().map(Flow::id).toList());
        Flow f = flows.flow(id).orElseThrow();
        assertEquals("contoso.onmicrosoft.com", f.oauth().tenant());
        assertEquals(ConsentHost.LOOPBACK, f.oauth().consentHost());
        MailServer smtp = f.smtp().orElseThrow();
        assertEquals(587, smtp.endpoint().port());
        assertEquals(TlsMode.STARTTLS, smtp.endpoint().tls());
        assertEquals(45, smtp.timeout().toSeconds());
        assertEquals(Optional.of(LocalDate.parse("2027-06-30")), f.secretExpiry());
        assertEquals("smtp", f.transport(), "a file without a transport sends over SMTP");
        assertEquals(java.util.Map.of(), f.settings());
        assertTrue(admin.export().contains("\"" + id + "\""), "and it exports again");
    }

    /** Issue 17: the export names each flow's transport and settings, and they import back. */
    @Test
    void theTransportAndItsSettingsGoThroughAnExport() {
        org.envoi.api.flow.FlowFormat format = OsgiServices.get(OsgiServices.context(FlowAdminTest.class),
                org.envoi.api.flow.FlowFormat.class, null);
        Flow g = microsoft("graph-" + System.nanoTime(), "contoso.onmicrosoft.com", SCOPES, "http://127.0.0.1:3017/",
                SMTP).withTransport("graph", java.util.Map.of("graph.url", "https://graph.microsoft.com/v1.0"));
        String export = format.export(List.of(g));
        assertTrue(export.contains("\"transport\" : \"graph\""), export);
        assertEquals(List.of(g), format.readExport(export));
    }

    @Test
    void aGoogleDesktopClientJsonBecomesAFlowAndOtherKindsAreRefusedWithTheReason() {
        String id = "gmail-" + System.nanoTime();
        Flow f = admin.importGoogleClientJson(id, "{\"installed\": {\"client_id\":"
                + " \"123-abc.apps.googleusercontent.com\", \"project_id\": \"erp\", \"auth_uri\":"
                + " \"https://accounts.google.com/o/oauth2/auth\", \"token_uri\": \"https://oauth2.googleapis.com/token\","
                + " \"client_secret\": \"GOCSPX-secret\", \"redirect_uris\": [\"http://localhost\"]}}");
        assertEquals("google", f.providerId());
        assertEquals("smtp.gmail.com", f.smtp().orElseThrow().endpoint().host());
        assertTrue(f.oauth().scopes().contains("https://mail.google.com/"), f.oauth().scopes().toString());
        assertEquals(Optional.of("GOCSPX-secret"), vault.read(VaultKey.clientSecret(id)));
        assertFalse(admin.export().contains("GOCSPX-secret"));

        EnvoiException web = assertThrows(EnvoiException.class, () -> admin.importGoogleClientJson("g2",
                "{\"web\": {\"client_id\": \"1-x.apps.googleusercontent.com\", \"client_secret\": \"s\","
                        + " \"redirect_uris\": [\"https://erp.example.com/oauth\"]}}"));
        assertEquals("redirectUri", web.field());
        assertTrue(web.getMessage().contains("Desktop app"), web.getMessage());
        EnvoiException sa = assertThrows(EnvoiException.class, () -> admin.importGoogleClientJson("g3",
                "{\"type\": \"service_account\", \"client_email\": \"x@erp.iam.gserviceaccount.com\"}"));
        assertTrue(sa.getMessage().contains("service account"), sa.getMessage());
        EnvoiException notJson = assertThrows(EnvoiException.class, () -> admin.importGoogleClientJson("g4", "{"));
        assertEquals("file", notJson.field());
    }

    @Test
    void anExpiringSecretIsAnnounced30DaysAhead() {
        LocalDate today = LocalDate.of(2026, 11, 22);
        Flow base = microsoft("x", "contoso.onmicrosoft.com", SCOPES, "", SMTP);
        Flow in29 = withExpiry(base, today.plusDays(29));
        Flow in31 = withExpiry(base, today.plusDays(31));
        Flow gone = withExpiry(base, today.minusDays(1));
        assertTrue(in29.secretExpiryWarning(today).orElseThrow().contains("expires in 29 days"));
        assertTrue(in31.secretExpiryWarning(today).isEmpty());
        assertTrue(gone.secretExpiryWarning(today).orElseThrow().contains("expired on 2026-11-21"));
        String id = "expiring-" + System.nanoTime();
        admin.save(withExpiry(microsoft(id, "contoso.onmicrosoft.com", SCOPES, "", SMTP), today.plusDays(10)),
                Optional.empty());
        assertTrue(admin.warnings(today).stream().anyMatch(w -> w.contains("M365 " + id) && w.contains(
                "new secret")), admin.warnings(today).toString());
    }

    private static Flow withExpiry(Flow f, LocalDate date) {
        return new Flow(f.id(), f.name(), f.type(), f.providerId(), f.oauth(), f.authorizationUri(), f.tokenUri(),
                f.deviceUri(), f.smtp(), f.imap(), f.pop(), f.username(), f.genericAddress(), f.attachmentLimitBytes(),
                Optional.of(date));
    }
}
