package org.envoi.api.flow;

import java.util.List;
import java.util.Optional;

/** Keeps flows. Thread-safe; {@code save} replaces the flow with the same id as one transaction. */
public interface FlowRepository {

    List<Flow> flows();

    Optional<Flow> flow(String id);

    void save(Flow flow);

    /** @return true if there was one; operators and groups attached to it are detached */
    boolean remove(String id);
}
