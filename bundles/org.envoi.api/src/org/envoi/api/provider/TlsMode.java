package org.envoi.api.provider;

/** How a mail connection is protected. */
public enum TlsMode {
    /** Plain connect, then STARTTLS before anything is authenticated (SMTP 587). */
    STARTTLS,
    /** TLS from the first byte (SMTPS 465, IMAPS 993, POP3S 995). */
    TLS,
    /** No TLS: only accepted for a loopback test server; a token or password never crosses it elsewhere. */
    NONE
}
