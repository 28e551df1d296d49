package org.envoi.api.vault;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Names one vault entry. Entries are scoped by flow and operator: an entry written for one operator can never be
 * read under another's key (the key is bound to the ciphertext).
 *
 * @param kind what is stored ({@link #TOKENS}, {@link #CLIENT_SECRET}, {@link #PASSWORD} or another lower-case word)
 * @param flowId the authentication flow
 * @param operatorId the operator, or {@link #SHARED} for a flow-wide secret (client secret, generic mailbox)
 */
public record VaultKey(String kind, String flowId, String operatorId) {

    public static final String TOKENS = "tokens";
    public static final String CLIENT_SECRET = "client-secret";
    public static final String PASSWORD = "password";
    /** The client ID and token endpoint the flow's client secret was entered for ({@code ClientBinding}). */
    public static final String CLIENT_BINDING = "client-binding";
    /** The operator id of entries that belong to the whole flow. */
    public static final String SHARED = "*";

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._@+-]{1,128}|\\*");

    public VaultKey {
        check("kind", kind);
        check("flowId", flowId);
        check("operatorId", operatorId);
    }

    private static void check(String name, String value) {
        Objects.requireNonNull(value, name);
        if (!SAFE.matcher(value).matches()) {
            throw new IllegalArgumentException(name + " '" + value
                    + "' may only hold letters, digits and . _ @ + - (1 to 128 characters)");
        }
    }

    public static VaultKey tokens(String flowId, String operatorId) {
        return new VaultKey(TOKENS, flowId, operatorId);
    }

    public static VaultKey clientSecret(String flowId) {
        return new VaultKey(CLIENT_SECRET, flowId, SHARED);
    }

    public static VaultKey clientBinding(String flowId) {
        return new VaultKey(CLIENT_BINDING, flowId, SHARED);
    }

    /** The form bound to each ciphertext as associated data. */
    public String canonical() {
        return kind + "|" + flowId + "|" + operatorId;
    }
}
