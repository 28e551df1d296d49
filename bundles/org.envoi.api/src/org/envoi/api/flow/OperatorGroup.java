package org.envoi.api.flow;

import java.util.Objects;
import java.util.Optional;

/** A group of operators sharing one flow. */
public record OperatorGroup(String id, String name, Optional<String> flowId) {

    public OperatorGroup {
        Objects.requireNonNull(id, "id");
        name = name == null ? id : name;
        Objects.requireNonNull(flowId, "flowId");
    }
}
