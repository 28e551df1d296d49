package org.envoi.api.provider;

/** What a flow is asked to do; each maps to provider scopes. */
public enum MailCapability {
    SEND,
    READ_IMAP,
    READ_POP,
    /** A refresh token, so the operator consents once. */
    OFFLINE_ACCESS
}
