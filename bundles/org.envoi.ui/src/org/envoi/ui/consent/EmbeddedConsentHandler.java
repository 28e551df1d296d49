package org.envoi.ui.consent;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.eclipse.swt.SWT;
import org.eclipse.swt.SWTError;
import org.eclipse.swt.browser.Browser;
import org.eclipse.swt.browser.LocationAdapter;
import org.eclipse.swt.browser.LocationEvent;
import org.eclipse.swt.layout.FillLayout;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Consent inside the application: a dialog with an SWT {@link Browser} (WebKitGTK on Linux, Edge/WebView2 on Windows)
 * opens the provider's page and catches the redirect before it leaves the browser (nothing listens on the redirect
 * URI). When the embedded browser cannot start (no WebView2 runtime on a server, no WebKitGTK), the consent goes to the
 * system browser with the loopback listener, and the log says so. Google refuses embedded browsers: its flows use the
 * loopback host by default.
 */
@Component(service = ConsentHandler.class, property = ConsentHandler.CONSENT_HOST + "=embedded")
public final class EmbeddedConsentHandler implements ConsentHandler {

    /** Widget data key of the consent dialog and its browser, for the UI tests. */
    public static final String KEY = "envoi.id";
    private static final Logger LOG = System.getLogger(EmbeddedConsentHandler.class.getName());
    private static final URI DEFAULT_REDIRECT = URI.create("http://127.0.0.1/envoi-consent");

    private final ConsentHandler systemBrowser;
    /** Whether an embedded browser starts here: probed once (starting WebKit or WebView2 is not free). */
    private volatile Boolean browserWorks;

    @Activate
    public EmbeddedConsentHandler(@Reference(target = "(" + CONSENT_HOST + "=loopback)") ConsentHandler loopback) {
        this.systemBrowser = loopback;
    }

    @Override
    public ConsentSession open(Optional<URI> requested) throws IOException {
        Display display = Display.getDefault();
        if (browserWorks == null) {
            browserWorks = browserWorks(display);
        }
        if (!browserWorks) {
            LOG.log(Level.WARNING, "Envoi cannot start the embedded browser (no WebView2/WebKitGTK here): the consent"
                    + " opens in the system browser instead");
            return systemBrowser.open(requested);
        }
        return new Session(display, requested.filter(u -> "http".equals(u.getScheme()) || "https".equals(
                u.getScheme())).orElse(DEFAULT_REDIRECT));
    }

    /** Creates (and drops) a Browser once: an SWTError means this machine has no usable embedded browser. */
    private static boolean browserWorks(Display display) {
        boolean[] ok = { false };
        display.syncExec(() -> {
            Shell probe = new Shell(display);
            try {
                new Browser(probe, SWT.NONE);
                ok[0] = true;
            } catch (SWTError e) {
                ok[0] = false;
            } finally {
                probe.dispose();
            }
        });
        return ok[0];
    }

    private static final class Session implements ConsentSession {
        private final Display display;
        private final URI redirect;
        private Shell shell;

        Session(Display display, URI redirect) {
            this.display = display;
            this.redirect = redirect;
        }

        @Override
        public URI redirectUri() {
            return redirect;
        }

        @Override
        public AuthorizationResponse await(URI authorizationUrl, String expectedState, Duration timeout) {
            CompletableFuture<AuthorizationResponse> result = new CompletableFuture<>();
            display.syncExec(() -> show(authorizationUrl, result));
            AuthorizationResponse r;
            // a sign-in cancelled from its dialog closes the consent window: the wait below ends with nothing stored
            org.envoi.api.Cancellation.Registration cancelled = org.envoi.api.Cancellation.current().map(c -> c
                    .whenCancelled(this::close)).orElse(() -> {
                    });
            try {
                if (Display.getCurrent() == display) { // called on the UI thread: keep the UI alive while waiting
                    long end = System.nanoTime() + timeout.toNanos();
                    while (!result.isDone() && System.nanoTime() < end) {
                        if (!display.readAndDispatch()) {
                            display.timerExec(100, () -> { });
                            display.sleep();
                        }
                    }
                }
                r = result.get(Display.getCurrent() == display ? 1 : timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The sign-in was not finished within "
                        + timeout.toSeconds() + " s: try again.");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof EnvoiException ee ? ee : new EnvoiException(ErrorCode.OAUTH_FAILED,
                        "The sign-in window failed: " + e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The sign-in was interrupted.");
            } finally {
                cancelled.close();
                close();
            }
            if (!expectedState.equals(r.state())) {
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The sign-in answer does not belong to this request"
                        + " (state differs): nothing was stored; try again.");
            }
            return r;
        }

        private void show(URI authorizationUrl, CompletableFuture<AuthorizationResponse> result) {
            shell = new Shell(display, SWT.DIALOG_TRIM | SWT.RESIZE | SWT.APPLICATION_MODAL);
            shell.setText("Envoi - sign in");
            shell.setData(KEY, "consent.shell");
            shell.setLayout(new FillLayout());
            shell.setSize(900, 720);
            Browser browser = new Browser(shell, SWT.NONE);
            browser.setData(KEY, "consent.browser");
            browser.addLocationListener(new LocationAdapter() {
                @Override
                public void changing(LocationEvent event) {
                    URI to;
                    try {
                        to = URI.create(event.location);
                    } catch (IllegalArgumentException e) {
                        return;
                    }
                    if (sameEndpoint(to, redirect)) {
                        event.doit = false; // the code never reaches any page
                        result.complete(response(to));
                        display.asyncExec(() -> {
                            if (!shell.isDisposed()) {
                                shell.close();
                            }
                        });
                    }
                }
            });
            shell.addListener(SWT.Dispose, e -> result.completeExceptionally(new EnvoiException(
                    ErrorCode.OAUTH_FAILED, "The sign-in window was closed before the end: nothing was stored.")));
            browser.setUrl(authorizationUrl.toString());
            shell.open();
        }

        private static boolean sameEndpoint(URI to, URI redirect) {
            return to.getScheme() != null && to.getScheme().equalsIgnoreCase(redirect.getScheme())
                    && to.getHost() != null && to.getHost().equalsIgnoreCase(redirect.getHost())
                    && (redirect.getPort() == -1 || to.getPort() == redirect.getPort())
                    && normalize(to.getPath()).equals(normalize(redirect.getPath()));
        }

        private static String normalize(String p) {
            return p == null || p.isEmpty() ? "/" : p;
        }

        private static AuthorizationResponse response(URI to) {
            Map<String, String> q = new HashMap<>();
            String raw = to.getRawQuery() == null ? "" : to.getRawQuery();
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(
                            pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            return new AuthorizationResponse(Optional.ofNullable(q.get("code")), q.getOrDefault("state", ""),
                    Optional.ofNullable(q.get("error")), Optional.ofNullable(q.get("error_description")));
        }

        @Override
        public void close() {
            if (!display.isDisposed()) {
                display.asyncExec(() -> {
                    if (shell != null && !shell.isDisposed()) {
                        shell.dispose();
                    }
                });
            }
        }
    }
}
