package org.envoi.api.provider;

/** Where the operator gives consent. */
public enum ConsentHost {
    /** An SWT browser in an e4 dialog that catches the redirect. */
    EMBEDDED,
    /** The system browser, redirected to a one-shot listener on 127.0.0.1. */
    LOOPBACK,
    /** A terminal: the URL is printed and the redirected URL read back. */
    PRINT,
    /** RFC 8628 device code: a code and a URL to open on any device. */
    DEVICE
}
