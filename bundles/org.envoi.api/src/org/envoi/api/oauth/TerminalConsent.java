package org.envoi.api.oauth;

/**
 * A kind of consent host that a command line (or any program with a terminal) can use: makes a {@link ConsentHandler}
 * that talks to that terminal. Registered as a service with the property {@value ConsentHandler#CONSENT_HOST} naming
 * its kind: {@value #PRINT} and {@value #LOOPBACK} from {@code org.envoi.oauth}, {@value #FOLLOW_REDIRECT} for an
 * authorization server that approves without a page (the local sandbox). Another bundle adds a kind by registering
 * one under a new name.
 */
public interface TerminalConsent {

    /** The URL printed on the terminal, the redirected URL read back from its input. */
    String PRINT = "print";
    /** A browser opens the URL, a one-shot loopback listener takes the redirect. */
    String LOOPBACK = "loopback";
    /** Requests the URL itself and reads the redirect the server answers with; nobody signs in. */
    String FOLLOW_REDIRECT = "follow-redirect";

    /** Makes the consent host for sign-ins on {@code terminal}. */
    ConsentHandler open(ConsentTerminal terminal);
}
