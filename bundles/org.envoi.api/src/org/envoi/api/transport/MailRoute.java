package org.envoi.api.transport;

import java.util.Objects;
import java.util.Optional;

import org.envoi.api.flow.Flow;

/**
 * Where and as whom a transport or a mailbox reader works: one flow, one operator.
 *
 * @param flow the stored flow (its transport settings in {@link Flow#settings()})
 * @param operatorId the operator the mails are for
 * @param mailUser the mailbox user given to SASL or to the API (the operator's address, the flow's user name, or the
 *        shared mailbox of a generic flow)
 * @param logins the login of this flow and operator for the transport's token resource
 */
public record MailRoute(Flow flow, String operatorId, String mailUser, Logins logins) {

    public MailRoute {
        Objects.requireNonNull(flow, "flow");
        Objects.requireNonNull(operatorId, "operatorId");
        Objects.requireNonNull(mailUser, "mailUser");
        Objects.requireNonNull(logins, "logins");
    }

    /** The shared mailbox every operator of a generic flow sends as. */
    public Optional<String> sharedMailbox() {
        return flow.genericAddress();
    }

    /** A setting of the flow's transport, file store... ({@link Flow#settings()}), or {@code fallback}. */
    public String setting(String key, String fallback) {
        String v = flow.settings().get(key);
        return v == null || v.isBlank() ? fallback : v;
    }
}
