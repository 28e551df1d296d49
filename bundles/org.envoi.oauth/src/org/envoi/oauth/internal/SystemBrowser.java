package org.envoi.oauth.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/** Opens a URL in the operator's default browser, or prints it when no browser can be started. */
public final class SystemBrowser implements Consumer<URI> {

    private static final Logger LOG = System.getLogger(SystemBrowser.class.getName());

    @Override
    public void accept(URI uri) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        List<String> command = os.contains("win") ? List.of("rundll32", "url.dll,FileProtocolHandler", uri.toString())
                : os.contains("mac") ? List.of("open", uri.toString()) : List.of("xdg-open", uri.toString());
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "No browser could be started (" + command.get(0) + "); open this address to sign"
                    + " in: " + uri);
            System.err.println("Open this address in a browser to sign in: " + uri);
        }
    }
}
