package org.envoi.api.flow;

/** How a flow authenticates to the mail servers. */
public enum FlowType {
    /** User name and password (kept in the vault), for servers that still accept them. */
    BASIC,
    /** OAuth2 bearer tokens (XOAUTH2 / OAUTHBEARER). */
    OAUTH2
}
