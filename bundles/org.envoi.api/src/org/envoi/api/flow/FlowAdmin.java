package org.envoi.api.flow;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import org.envoi.api.provider.FieldProblem;

/**
 * The administrator's operations on flows: validation naming each field, saving with the secret, JSON export and
 * import (never with secrets), Google client JSON import and the client-secret expiry warnings.
 */
public interface FlowAdmin {

    /** Every problem of the flow, each naming its field and what to do; empty when it can be saved. */
    List<FieldProblem> validate(Flow flow);

    /**
     * Validates, then stores the secret (client secret for OAUTH2, password for BASIC) in the vault when one is
     * given, then the flow. A flow with problems is refused with {@code INVALID_FLOW_DATA} naming the first field;
     * nothing is written.
     */
    void save(Flow flow, Optional<String> secret);

    /** The flows as JSON, without any secret. */
    String export();

    /** Reads and validates every flow of an export first; saves all of them or none. @return the flows saved */
    List<Flow> importFlows(String json);

    /**
     * Creates (or updates) a Google flow from the client JSON downloaded from Google Cloud Console: an "installed"
     * (desktop) client is accepted; a "web" client only with a loopback redirect URI; anything else is refused with
     * the reason. The client secret goes to the vault.
     */
    Flow importGoogleClientJson(String flowId, String json);

    /** Whom an operator signs in as for an OAuth2 flow: the resolved client, and the token owner (the operator, or
     * {@code *} for a generic flow's shared mailbox). */
    record SignInTarget(org.envoi.api.oauth.OAuthClient client, String owner) {
    }

    /** @throws org.envoi.api.EnvoiException INVALID_FLOW_DATA when the flow is unknown or not OAuth2 */
    SignInTarget signInTarget(String flowId, String operatorId);

    /**
     * The sign-in to one token resource of the flow: {@code ""} is the flow's own ({@link #signInTarget(String,
     * String)}); another is that of a file store the flow uses whose resource is not its transport's (OneDrive beside
     * SMTP: Microsoft grants one resource per token request), asking that store's scopes.
     *
     * @throws org.envoi.api.EnvoiException INVALID_INPUT naming the flow's resources when it uses no such resource
     */
    default SignInTarget signInTarget(String flowId, String operatorId, String resource) {
        if (resource.isEmpty()) {
            return signInTarget(flowId, operatorId);
        }
        throw new org.envoi.api.EnvoiException(org.envoi.api.ErrorCode.INVALID_INPUT, "resource", "The flow '" + flowId
                + "' needs no sign-in to '" + resource + "'.", null);
    }

    /**
     * The resources other than the flow's own that its operators sign in to (one per file store whose resource is not
     * the transport's), in a stable order; empty for most flows.
     */
    default java.util.List<String> otherResources(String flowId) {
        return java.util.List.of();
    }

    /**
     * Removes the flow and its vault entries: every operator's sign-in, the shared mailbox's, the client secret or
     * password.
     *
     * @return false when there was no such flow
     */
    boolean remove(String flowId);

    /** Whether the flow's client secret (OAuth2) or password (basic) is in the vault; never the secret itself. */
    boolean hasSecret(Flow flow);

    /** The warnings to show today: client secrets expiring within 30 days or expired. */
    List<String> warnings(LocalDate today);
}
