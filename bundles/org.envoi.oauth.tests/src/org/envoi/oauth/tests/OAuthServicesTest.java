package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.tests.contract.OsgiServices;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/** The engine and the consent hosts are Declarative Services wired to the vault and the provider registry. */
class OAuthServicesTest {

    @Test
    void engineAndConsentHostsAreServices() {
        BundleContext ctx = OsgiServices.context(getClass());
        TokenService tokens = OsgiServices.get(ctx, TokenService.class, null);
        assertEquals(CredentialStatus.State.NONE, tokens.status("no-such-flow", "nobody").state());
        assertNotNull(OsgiServices.await(ctx, ConsentHandler.class, "(consent.host=loopback)"));
        assertNotNull(OsgiServices.await(ctx, ConsentHandler.class, "(consent.host=print)"));
    }
}
