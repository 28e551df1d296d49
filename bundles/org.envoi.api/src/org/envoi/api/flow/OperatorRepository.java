package org.envoi.api.flow;

import java.util.List;
import java.util.Optional;

/** Keeps operators and groups and says which flow an operator uses. Thread-safe. */
public interface OperatorRepository {

    List<Operator> operators();

    Optional<Operator> operator(String id);

    void save(Operator operator);

    boolean remove(String id);

    List<OperatorGroup> groups();

    Optional<OperatorGroup> group(String id);

    void save(OperatorGroup group);

    /** @return true if there was one; its operators keep their direct flow, if any */
    boolean removeGroup(String id);

    /** The operator's flow: the one assigned directly, else the group's; empty when neither. */
    default Optional<String> flowOf(String operatorId) {
        Optional<Operator> op = operator(operatorId);
        if (op.isEmpty()) {
            return Optional.empty();
        }
        if (op.get().flowId().isPresent()) {
            return op.get().flowId();
        }
        return op.get().groupId().flatMap(this::group).flatMap(OperatorGroup::flowId);
    }

    /** The operators whose flow is {@code flowId}, directly or through their group. */
    default List<Operator> members(String flowId) {
        return operators().stream().filter(o -> flowOf(o.id()).filter(flowId::equals).isPresent()).toList();
    }
}
