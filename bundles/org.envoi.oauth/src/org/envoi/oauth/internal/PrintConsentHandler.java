package org.envoi.oauth.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;

/**
 * For terminals without a browser: prints the authorization URL on one line and reads back, on one line, the URL the
 * browser was redirected to (it holds {@code code} and {@code state}).
 */
public class PrintConsentHandler implements ConsentHandler {

    /** Used when the flow names no redirect URI; the page will not load, the operator copies its address. */
    static final URI DEFAULT_REDIRECT = URI.create("http://127.0.0.1:3017/");

    private final PrintStream out;
    private final BufferedReader in;

    public PrintConsentHandler(PrintStream out, BufferedReader in) {
        this.out = out;
        this.in = in;
    }

    @Override
    public ConsentSession open(Optional<URI> requested) {
        URI redirect = requested.orElse(DEFAULT_REDIRECT);
        return new ConsentSession() {
            @Override
            public URI redirectUri() {
                return redirect;
            }

            @Override
            public AuthorizationResponse await(URI authorizationUrl, String expectedState, Duration timeout) {
                out.println(authorizationUrl);
                out.flush();
                String line;
                try {
                    line = in.readLine();
                } catch (IOException e) {
                    throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "Could not read the redirected URL: "
                            + e.getMessage(), e);
                }
                if (line == null || line.isBlank()) {
                    throw new EnvoiException(ErrorCode.OAUTH_FAILED, "No redirected URL was given: open the printed"
                            + " URL, sign in, then paste the address the browser ends on (it starts with "
                            + redirect + ").");
                }
                URI answer;
                try {
                    answer = URI.create(line.strip());
                } catch (IllegalArgumentException e) {
                    throw new EnvoiException(ErrorCode.OAUTH_FAILED, "What was pasted is not a URL: paste the whole"
                            + " address the browser ends on (it starts with " + redirect + ").");
                }
                AuthorizationResponse r = RedirectQuery.toResponse(RedirectQuery.parse(answer.getRawQuery()));
                if (!expectedState.equals(r.state())) {
                    throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The pasted URL does not belong to this sign-in"
                            + " (its state differs): sign in again and paste the newest address.");
                }
                return r;
            }

            @Override
            public void close() {
                // nothing held
            }
        };
    }
}
