package org.envoi.ui.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.KeycloakDeviceUser;
import org.envoi.api.tests.servers.KeycloakServer;
import org.envoi.ui.consent.SignInDialog;
import org.envoi.ui.parts.Messages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/**
 * The sign-in dialog's "code on another device" for terminal-server sessions, against a real Keycloak: the dialog
 * shows the code, a phone (another thread) approves it, the dialog says the operator is signed in.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SignInDialogTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    Path temp;

    @Test
    void aCodeTypedOnAnotherDeviceSignsTheOperatorIn() throws Exception {
        UiPartsTest.requireDisplay();
        Display display = Display.getDefault();
        BundleContext ctx = OsgiServices.context(SignInDialogTest.class);
        TokenService tokens = OsgiServices.get(ctx, TokenService.class, null);
        try (KeycloakServer keycloak = KeycloakServer.start(temp.resolve("keycloak"))) {
            String flow = "ui-device-" + System.nanoTime();
            OAuthClient client = new OAuthClient(flow, "custom", keycloak.authorizationEndpoint(),
                    keycloak.tokenEndpoint(), Optional.of(keycloak.deviceEndpoint()), KeycloakServer.CLIENT, false,
                    List.of("openid", "offline_access"), Optional.empty(), Map.of());
            Shell parent = new Shell(display);
            SignInDialog dialog = new SignInDialog(parent, Messages.of(Locale.ENGLISH), tokens,
                    new FlowAdmin.SignInTarget(client, "ui-remote"), OsgiServices.get(ctx, ConsentHandler.class,
                            "(consent.host=embedded)"), OsgiServices.get(ctx, ConsentHandler.class,
                                    "(consent.host=loopback)"));
            try {
                dialog.open();
                Shell shell = dialog.shell();
                UiPartsTest.click(shell, "signin.device");
                Text code = UiPartsTest.widget(shell, "signin.code");
                Text url = UiPartsTest.widget(shell, "signin.url");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (code.getText().isEmpty() && System.nanoTime() < deadline) {
                    UiPartsTest.pump(display);
                }
                assertTrue(!code.getText().isEmpty(), () -> UiPartsTest.label(shell, "signin.status"));
                UiPartsTest.screenshot(shell, "signin-device-code");
                URI approve = URI.create(url.getText());
                Thread phone = new Thread(() -> new KeycloakDeviceUser().approve(approve, KeycloakServer.USER,
                        KeycloakServer.PASSWORD), "phone");
                phone.setDaemon(true);
                phone.start();
                while (!UiPartsTest.label(shell, "signin.status").startsWith("Signed in")
                        && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(30)) {
                    UiPartsTest.pump(display);
                }
                assertTrue(UiPartsTest.label(shell, "signin.status").startsWith("Signed in"),
                        UiPartsTest.label(shell, "signin.status"));
                assertEquals(CredentialStatus.State.VALID, tokens.status(flow, "ui-remote").state());
            } finally {
                parent.dispose();
            }
        }
    }

}
