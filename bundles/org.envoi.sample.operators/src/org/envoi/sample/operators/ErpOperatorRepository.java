package org.envoi.sample.operators;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorGroup;
import org.envoi.api.flow.OperatorRepository;
import org.osgi.service.component.annotations.Component;

/**
 * An ERP's own operators for Envoi: the ERP registers its {@link OperatorRepository} with a service ranking above the
 * store's (which has 0), and every Envoi service and part uses it instead. A real ERP reads its user table here; this
 * sample keeps two users in memory and takes what Envoi's Operators part saves.
 */
@Component(service = OperatorRepository.class, property = { "service.ranking:Integer=100", "envoi.store=erp" })
public final class ErpOperatorRepository implements OperatorRepository {

    /** The ERP's users, by login. */
    private final Map<String, Operator> operators = new ConcurrentHashMap<>(Map.of(
            "erp.cdurand", new Operator("erp.cdurand", "Claire Durand (ERP)", "claire.durand@erp.example",
                    Optional.empty(), Optional.empty(), "", ""),
            "erp.mleroy", new Operator("erp.mleroy", "Marc Leroy (ERP)", "marc.leroy@erp.example", Optional.empty(),
                    Optional.empty(), "", "")));
    private final Map<String, OperatorGroup> groups = new ConcurrentHashMap<>();

    @Override
    public List<Operator> operators() {
        return operators.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).toList();
    }

    @Override
    public Optional<Operator> operator(String id) {
        return Optional.ofNullable(operators.get(id));
    }

    @Override
    public void save(Operator operator) {
        operators.put(operator.id(), operator);
    }

    @Override
    public boolean remove(String id) {
        return operators.remove(id) != null;
    }

    @Override
    public List<OperatorGroup> groups() {
        return groups.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).toList();
    }

    @Override
    public Optional<OperatorGroup> group(String id) {
        return Optional.ofNullable(groups.get(id));
    }

    @Override
    public void save(OperatorGroup group) {
        groups.put(group.id(), group);
    }

    @Override
    public boolean removeGroup(String id) {
        return groups.remove(id) != null;
    }
}
