package org.envoi.api.oauth;

import java.io.BufferedReader;
import java.io.PrintStream;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where a {@link TerminalConsent} host talks to the operator.
 *
 * @param out     what the operator reads (the URL to open, what to do)
 * @param in      what the operator types (a pasted redirected URL)
 * @param browser opens a URL for the operator; empty: the system browser
 */
public record ConsentTerminal(PrintStream out, BufferedReader in, Optional<Consumer<URI>> browser) {

    public ConsentTerminal {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(browser, "browser");
    }

    /** A terminal whose URLs open in the system browser. */
    public static ConsentTerminal of(PrintStream out, BufferedReader in) {
        return new ConsentTerminal(out, in, Optional.empty());
    }
}
