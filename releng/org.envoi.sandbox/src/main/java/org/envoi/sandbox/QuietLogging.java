package org.envoi.sandbox;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the servers' logs to warnings and errors, on standard error: the sandbox's log is read by people when
 * something went wrong, not a trace of every request.
 * <p>
 * The libraries log through two APIs: SLF4J (GreenMail, mock-oauth2-server), bound to slf4j-simple and set to WARN on
 * standard error by {@code simplelogger.properties} in this jar; and {@code java.util.logging} (OkHttp's
 * MockWebServer, which logs every request at INFO), whose root logger is set to WARNING here.
 */
final class QuietLogging {

    private QuietLogging() {
    }

    static void install() {
        Logger root = Logger.getLogger(""); // held by the LogManager: the level is not lost to garbage collection
        if (System.getProperty("java.util.logging.config.file") == null) {
            root.setLevel(Level.WARNING);
            for (Handler handler : root.getHandlers()) {
                handler.setLevel(Level.WARNING);
            }
        }
    }
}
