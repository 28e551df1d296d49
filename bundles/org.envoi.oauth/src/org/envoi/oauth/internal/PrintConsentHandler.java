package org.envoi.oauth.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;

/**
 * For terminals without a browser: prints the authorization URL on one line and reads back, on one line, the URL the
 * browser was redirected to (it holds {@code code} and {@code state}). The line is read only as it arrives (the reader
 * says it is {@linkplain BufferedReader#ready() ready}), never by a blocked call: at the time limit the sign-in gives
 * up and leaves nothing behind that would take the next line typed. End of input is seen at once on a reader whose
 * {@code ready()} is true there (the command line's); on one that cannot tell (a bare {@code System.in} pipe) it is
 * seen at the time limit.
 */
public class PrintConsentHandler implements ConsentHandler {

    /** Used when the flow names no redirect URI; the page will not load, the operator copies its address. */
    static final URI DEFAULT_REDIRECT = URI.create("http://127.0.0.1:3017/");
    /** How often the input is looked at while nothing has come: quick for a person, nothing for the CPU. */
    private static final long POLL_MS = 50;
    private static final int MAX_LINE = 64 * 1024;

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
                String line = readLine(Instant.now().plus(timeout), timeout);
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

            /** One line as it arrives, null at the end of input; gives up at the deadline. */
            private String readLine(Instant deadline, Duration timeout) {
                StringBuilder line = new StringBuilder();
                try {
                    while (true) {
                        if (in.ready()) {
                            int c = in.read(); // cannot block: ready() said so
                            if (c == -1) {
                                return line.isEmpty() ? null : line.toString();
                            }
                            if (c == '\n') {
                                return line.toString();
                            }
                            if (c != '\r') {
                                line.append((char) c);
                            }
                            if (line.length() > MAX_LINE) {
                                throw new EnvoiException(ErrorCode.OAUTH_FAILED, "What was pasted is longer than"
                                        + " any sign-in address: paste only the address the browser ends on.");
                            }
                            continue;
                        }
                        long left = Duration.between(Instant.now(), deadline).toMillis();
                        if (left <= 0) {
                            throw new EnvoiException(ErrorCode.OAUTH_FAILED, "No redirected URL was pasted within "
                                    + TimeLimit.describe(timeout) + ", the sign-in's time limit: sign in again and"
                                    + " paste the address the browser ends on (it starts with " + redirect + ").");
                        }
                        Thread.sleep(Math.min(left, POLL_MS));
                    }
                } catch (IOException e) {
                    throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "Could not read the redirected URL: "
                            + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The sign-in was cancelled.");
                }
            }
        };
    }
}
