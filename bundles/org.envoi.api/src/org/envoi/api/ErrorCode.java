package org.envoi.api;

/**
 * Stable error codes. Scripts, the CLI exit codes and the UI key on these names: never rename one.
 */
public enum ErrorCode {
    /** No mail setting exists for the diffusion code being sent. */
    MAIL_SETTING_NOT_FOUND,
    /** The signed-in operator is attached to no authentication flow, directly or through a group. */
    NO_FLOW_FOR_OPERATOR,
    /** The operator is not attached to the flow being tested. */
    OPERATOR_NOT_IN_FLOW,
    /** The attachments exceed the flow's size limit. */
    ATTACHMENTS_TOO_BIG,
    /** A field of an authentication flow is invalid; the message names the field. */
    INVALID_FLOW_DATA,
    /** The operator (or the administrator, for a generic flow) must consent again in the browser. */
    CONSENT_REQUIRED,
    /** No provider bundle with that id is installed. */
    PROVIDER_NOT_FOUND,
    /** The provider's token endpoint could not be reached or answered 5xx; nothing was lost, try again later. */
    OAUTH_UNAVAILABLE,
    /** The sign-in failed for a reason the operator cannot fix by consenting again (the message says why). */
    OAUTH_FAILED,
    /** The token vault cannot be read or written (wrong key, damaged entry, file system); nothing was overwritten. */
    VAULT_ERROR,
    /** The mail server refused the login (token or password); the message says what the server said. */
    MAIL_AUTH_FAILED,
    /** The mail server could not be reached or the connection broke; the mail stays queued. */
    MAIL_UNAVAILABLE,
    /** The mail server refused a mail for good (5xx); the message carries its answer. */
    MAIL_REJECTED,
    /** A secret would cross the network without TLS: refused before connecting. */
    INSECURE_CONNECTION,
    /** A mail setting names a keyword the document does not carry: the mail is not sent half-filled. */
    UNKNOWN_KEYWORD,
    /** The store's database cannot be read or written; nothing was changed. */
    STORE_UNAVAILABLE,
    /** What a command was given cannot be used (a file that cannot be read, a value out of range): the message says. */
    INVALID_INPUT
}
