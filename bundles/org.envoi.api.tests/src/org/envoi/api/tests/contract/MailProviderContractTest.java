package org.envoi.api.tests.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailCapability;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * What every provider bundle must do. Each provider's tests subclass this; the provider is taken from the OSGi
 * service registry, as the core sees it, never constructed by hand.
 */
public abstract class MailProviderContractTest {

    protected MailProvider provider;
    protected ServiceReference<MailProvider> reference;

    /** The provider id the bundle registers. */
    protected abstract String providerId();

    /** The symbolic name of the bundle that must register it. */
    protected abstract String bundleSymbolicName();

    /** Fields a careful administrator would type for this provider: they must validate cleanly. */
    protected abstract ProviderFields validFields();

    @BeforeEach
    void lookUp() {
        BundleContext ctx = OsgiServices.context(getClass());
        reference = OsgiServices.await(ctx, MailProvider.class, "(" + MailProvider.PROVIDER_ID + "=" + providerId() + ")");
        provider = ctx.getService(reference);
        assertNotNull(provider);
    }

    @Test
    void isRegisteredAsDeclarativeServiceByItsOwnBundle() {
        assertEquals(bundleSymbolicName(), reference.getBundle().getSymbolicName());
        assertEquals(providerId(), provider.id());
        assertEquals(provider.id(), reference.getProperty(MailProvider.PROVIDER_ID));
        assertNotNull(reference.getProperty("component.name"), "registered by Declarative Services (SCR)");
        assertTrue(provider.id().matches("[a-z0-9][a-z0-9.-]*"), "id is lower case without spaces: " + provider.id());
        assertFalse(provider.displayName().isBlank());
    }

    @Test
    void endpointsAreHttpsAndResolveWithATenant() {
        ProviderPreset preset = provider.preset();
        String tenant = preset.defaultTenant().orElse("contoso.onmicrosoft.com");
        List<URI> uris = new ArrayList<>(List.of(preset.authorization().resolve(tenant), preset.token().resolve(tenant)));
        preset.device().ifPresent(d -> uris.add(d.resolve(tenant)));
        for (URI uri : uris) {
            assertEquals("https", uri.getScheme(), uri.toString());
            assertFalse(uri.toString().contains("{"), "template fully substituted: " + uri);
        }
    }

    @Test
    void sendingAndReadingHaveScopesAndSecureServers() {
        ProviderPreset preset = provider.preset();
        assertTrue(preset.supports(MailCapability.SEND));
        assertTrue(preset.supports(MailCapability.READ_IMAP));
        assertFalse(preset.scopesFor(EnumSet.of(MailCapability.SEND)).isEmpty());
        assertFalse(preset.scopesFor(EnumSet.of(MailCapability.READ_IMAP)).isEmpty());
        List<ServerEndpoint> servers = new ArrayList<>(List.of(preset.smtp(), preset.imap()));
        preset.pop().ifPresent(servers::add);
        for (ServerEndpoint s : servers) {
            assertNotEquals(TlsMode.NONE, s.tls(), "a public provider is never reached in clear: " + s);
        }
        assertTrue(List.of(465, 587).contains(preset.smtp().port()), "SMTP submission port: " + preset.smtp());
        assertEquals(993, preset.imap().port());
    }

    @Test
    void presetFieldsValidateCleanly() {
        List<FieldProblem> problems = provider.validate(validFields());
        assertTrue(problems.isEmpty(), "unexpected problems: " + problems);
    }

    @Test
    void missingClientIdIsNamed() {
        ProviderFields f = validFields();
        List<FieldProblem> problems = provider.validate(new ProviderFields(f.tenant(), "", f.redirectUri(), f.scopes(),
                f.consentHost(), f.appOnly()));
        assertTrue(problems.stream().anyMatch(p -> p.field().equals("clientId")), problems.toString());
    }

    @Test
    void redirectToAnotherMachineInClearIsRefused() {
        ProviderFields f = validFields();
        List<FieldProblem> problems = provider.validate(new ProviderFields(f.tenant(), f.clientId(),
                "http://erp.example.com/callback", f.scopes(), f.consentHost(), f.appOnly()));
        assertTrue(problems.stream().anyMatch(p -> p.field().equals("redirectUri")), problems.toString());
    }

    @Test
    void deadRefreshTokenAsksForConsentAndOutagesAreTransient() {
        assertEquals(ProviderError.Kind.CONSENT_REQUIRED, provider.explain("invalid_grant", null).kind());
        assertEquals(ProviderError.Kind.TRANSIENT, provider.explain("temporarily_unavailable", null).kind());
        assertEquals(ProviderError.Kind.CONFIGURATION, provider.explain("invalid_client", null).kind());
        ProviderError unknown = provider.explain("no_such_error_code", "something odd");
        assertEquals(ProviderError.Kind.UNKNOWN, unknown.kind());
        assertTrue(unknown.sentence().contains("no_such_error_code"), unknown.sentence());
    }
}
