package org.envoi.core.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.tests.contract.OsgiServices;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

class ProviderRegistryTest {

    private ProviderRegistry registry;

    @BeforeEach
    void lookUp() {
        BundleContext ctx = OsgiServices.context(getClass());
        // the registry sees providers as they register: wait for both shipped ones before asserting
        OsgiServices.await(ctx, MailProvider.class, "(provider.id=microsoft)");
        OsgiServices.await(ctx, MailProvider.class, "(provider.id=google)");
        registry = OsgiServices.get(ctx, ProviderRegistry.class, null);
    }

    @Test
    void offersTheShippedProvidersSortedByName() {
        List<String> names = registry.providers().stream().map(MailProvider::displayName).toList();
        assertEquals(List.of("Google (Gmail, Workspace)", "Microsoft 365"), names);
        assertEquals("microsoft", registry.find("microsoft").orElseThrow().id());
        assertTrue(registry.find("yahoo").isEmpty());
        assertTrue(registry.find(null).isEmpty());
    }

    @Test
    void unknownProviderIsATypedErrorNamingTheInstalledOnes() {
        EnvoiException e = assertThrows(EnvoiException.class, () -> registry.require("yahoo"));
        assertEquals(ErrorCode.PROVIDER_NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("'yahoo'") && e.getMessage().contains("google, microsoft"), e.getMessage());
        assertTrue(e.getMessage().contains("update site"), e.getMessage());
    }
}
