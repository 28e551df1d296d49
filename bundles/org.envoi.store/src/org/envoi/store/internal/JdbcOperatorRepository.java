package org.envoi.store.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorGroup;
import org.envoi.api.flow.OperatorRepository;

/**
 * Operators and groups in the store's database. A flow or group that does not exist cannot be assigned (foreign
 * keys); removing a flow detaches its operators and groups.
 */
public final class JdbcOperatorRepository implements OperatorRepository {

    private static final String OPERATOR = "SELECT id, name, email, group_id, flow_id, footer, signature FROM operator";
    private final Jdbc jdbc;

    public JdbcOperatorRepository(DataSource ds) {
        this.jdbc = new Jdbc(ds, "operators");
    }

    @Override
    public List<Operator> operators() {
        return jdbc.list(OPERATOR + " ORDER BY id", JdbcOperatorRepository::operator);
    }

    @Override
    public Optional<Operator> operator(String id) {
        return jdbc.one(OPERATOR + " WHERE id = ?", JdbcOperatorRepository::operator, id);
    }

    @Override
    public void save(Operator o) {
        jdbc.inTransaction(c -> {
            Object group = o.groupId().orElse(null);
            Object flow = o.flowId().orElse(null);
            if (Jdbc.update(c, "UPDATE operator SET name = ?, email = ?, group_id = ?, flow_id = ?, footer = ?,"
                    + " signature = ? WHERE id = ?", o.name(), o.email(), group, flow, o.footer(), o.signature(),
                    o.id()) == 0) {
                Jdbc.update(c, "INSERT INTO operator (id, name, email, group_id, flow_id, footer, signature) VALUES"
                        + " (?, ?, ?, ?, ?, ?, ?)", o.id(), o.name(), o.email(), group, flow, o.footer(),
                        o.signature());
            }
            return null;
        });
    }

    @Override
    public boolean remove(String id) {
        return jdbc.update("DELETE FROM operator WHERE id = ?", id) > 0;
    }

    @Override
    public List<OperatorGroup> groups() {
        return jdbc.list("SELECT id, name, flow_id FROM operator_group ORDER BY id", JdbcOperatorRepository::group);
    }

    @Override
    public Optional<OperatorGroup> group(String id) {
        return jdbc.one("SELECT id, name, flow_id FROM operator_group WHERE id = ?", JdbcOperatorRepository::group, id);
    }

    @Override
    public void save(OperatorGroup g) {
        jdbc.inTransaction(c -> {
            Object flow = g.flowId().orElse(null);
            if (Jdbc.update(c, "UPDATE operator_group SET name = ?, flow_id = ? WHERE id = ?", g.name(), flow,
                    g.id()) == 0) {
                Jdbc.update(c, "INSERT INTO operator_group (id, name, flow_id) VALUES (?, ?, ?)", g.id(), g.name(),
                        flow);
            }
            return null;
        });
    }

    @Override
    public boolean removeGroup(String id) {
        return jdbc.update("DELETE FROM operator_group WHERE id = ?", id) > 0;
    }

    private static Operator operator(ResultSet r) throws SQLException {
        return new Operator(r.getString(1), r.getString(2), r.getString(3), Optional.ofNullable(r.getString(4)),
                Optional.ofNullable(r.getString(5)), r.getString(6), r.getString(7));
    }

    private static OperatorGroup group(ResultSet r) throws SQLException {
        return new OperatorGroup(r.getString(1), r.getString(2), Optional.ofNullable(r.getString(3)));
    }
}
