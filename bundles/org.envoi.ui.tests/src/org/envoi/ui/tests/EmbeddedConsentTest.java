package org.envoi.ui.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.swt.browser.Browser;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.oauth.TokenSet;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.ui.consent.EmbeddedConsentHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.BundleContext;

/**
 * Consent inside the embedded SWT browser (WebKitGTK under Xvfb) against a real OAuth server: the test plays the
 * operator on the provider's login page inside the Browser; the redirect is caught in the browser and the engine
 * stores the tokens.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class EmbeddedConsentTest {

    @Test
    void theOperatorSignsInInsideTheApplicationAndTheTokensAreStored() throws Exception {
        UiPartsTest.requireDisplay();
        Display display = Display.getDefault();
        BundleContext ctx = OsgiServices.context(EmbeddedConsentTest.class);
        ConsentHandler embedded = OsgiServices.get(ctx, ConsentHandler.class, "(consent.host=embedded)");
        TokenService tokens = OsgiServices.get(ctx, TokenService.class, null);
        try (MockOAuth2Server oauth = MockOAuth2Server.start(MockOAuth2Server.ROTATING)) {
            String flow = "ui-consent-" + System.nanoTime();
            OAuthClient client = new OAuthClient(flow, "custom", oauth.authorizationEndpoint("default"),
                    oauth.tokenEndpoint("default"), Optional.empty(), "envoi-desktop", false, List.of("openid",
                            "offline_access"), Optional.empty(), Map.of());
            CompletableFuture<TokenSet> signedIn = CompletableFuture.supplyAsync(() -> tokens.authorize(client,
                    "marie", embedded, Duration.ofSeconds(60)));

            Shell dialog = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (dialog == null && System.nanoTime() < deadline && !signedIn.isDone()) {
                UiPartsTest.pump(display);
                for (Shell s : display.getShells()) {
                    if ("consent.shell".equals(s.getData(EmbeddedConsentHandler.KEY)) && !s.isDisposed()) {
                        dialog = s;
                    }
                }
            }
            assertTrue(dialog != null, () -> "the consent dialog with the embedded browser opened"
                    + (signedIn.isCompletedExceptionally() ? ": " + signedIn.handle((t, e) -> e).join() : ""));
            Browser browser = UiPartsTest.widget(dialog, "consent.browser");
            while (!browser.getText().contains("name=\"username\"") && System.nanoTime() < deadline) {
                UiPartsTest.pump(display);
            }
            assertTrue(browser.getText().contains("name=\"username\""), "the provider's login page is shown");
            UiPartsTest.screenshot(dialog, "consent-embedded");
            browser.execute("document.querySelector('input[name=username]').value = 'marie';"
                    + " document.querySelector('form').submit();");
            while (!signedIn.isDone() && System.nanoTime() < deadline) {
                UiPartsTest.pump(display);
            }
            TokenSet t = signedIn.get(5, TimeUnit.SECONDS);
            assertTrue(t.refreshToken().isPresent(), "a refresh token was stored");
            assertEquals(CredentialStatus.State.VALID, tokens.status(flow, "marie").state());
            UiPartsTest.pump(display);
            assertTrue(dialog.isDisposed(), "the dialog closes itself after the redirect");
        }
    }

}
