package org.envoi.api.flow;

import java.util.Objects;
import java.util.Optional;

/**
 * An ERP operator and their e-mail settings.
 *
 * @param id the ERP's operator code
 * @param name display name
 * @param email the address the operator sends from (unless the flow is generic)
 * @param groupId the group, whose flow the operator inherits unless assigned directly
 * @param flowId the flow assigned directly, which wins over the group's
 * @param footer text appended to the operator's mails
 * @param signature the operator's signature; wins over the diffusion's and the company's
 */
public record Operator(String id, String name, String email, Optional<String> groupId, Optional<String> flowId,
        String footer, String signature) {

    public Operator {
        Objects.requireNonNull(id, "id");
        name = name == null ? id : name;
        email = email == null ? "" : email.strip();
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(flowId, "flowId");
        footer = footer == null ? "" : footer;
        signature = signature == null ? "" : signature;
    }
}
