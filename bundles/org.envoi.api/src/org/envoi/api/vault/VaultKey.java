package org.envoi.api.vault;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names one vault entry. Entries are scoped by flow and operator: an entry written for one operator can never be
 * read under another's key (the key is bound to the ciphertext).
 *
 * @param kind what is stored ({@link #TOKENS}, {@link #CLIENT_SECRET}, {@link #PASSWORD} or another lower-case word;
 *        {@code tokens.RESOURCE} for the sign-in of another resource than the flow's own, see {@link #tokens(String,
 *        String, String)})
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
    /** A resource's name: a short lower-case word ({@code graph}); empty is the flow's own sign-in. */
    private static final Pattern RESOURCE = Pattern.compile("|[a-z][a-z0-9-]{0,31}");

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

    /** The tokens of the flow's own sign-in (resource {@code ""}). */
    public static VaultKey tokens(String flowId, String operatorId) {
        return new VaultKey(TOKENS, flowId, operatorId);
    }

    /**
     * The tokens of one resource (Microsoft refuses scopes of two resources in one request, so each has its own
     * sign-in): {@code ""} is the flow's own, the very entry {@link #tokens(String, String)} names, so vaults written
     * before resources existed are read as they are; another resource is the entry of kind {@code tokens.RESOURCE}.
     *
     * @throws IllegalArgumentException when {@code resource} is not a short lower-case word or empty
     */
    public static VaultKey tokens(String flowId, String operatorId, String resource) {
        checkResource(resource);
        return new VaultKey(resource.isEmpty() ? TOKENS : TOKENS + "." + resource, flowId, operatorId);
    }

    /** @return the resource when this entry holds tokens ({@code ""} for the flow's own sign-in), else empty */
    public Optional<String> tokensResource() {
        if (kind.equals(TOKENS)) {
            return Optional.of("");
        }
        if (kind.startsWith(TOKENS + ".")) {
            String resource = kind.substring(TOKENS.length() + 1);
            return RESOURCE.matcher(resource).matches() && !resource.isEmpty() ? Optional.of(resource)
                    : Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * Checks a resource's name: {@code ""} (the flow's own sign-in) or a short lower-case word such as {@code graph}.
     *
     * @throws IllegalArgumentException naming the field and what it may hold
     */
    public static void checkResource(String resource) {
        Objects.requireNonNull(resource, "resource");
        if (!RESOURCE.matcher(resource).matches()) {
            throw new IllegalArgumentException("resource '" + resource + "' must be a short lower-case word (a letter,"
                    + " then letters, digits or -, at most 32 characters), or empty for the flow's own sign-in");
        }
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
