package org.envoi.store.internal;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.store.json.FlowJson;

/** Flows in the store's database, each kept as its JSON definition (the export format, without secrets). */
public final class JdbcFlowRepository implements FlowRepository {

    private final Jdbc jdbc;
    private final Clock clock;

    public JdbcFlowRepository(DataSource ds, Clock clock) {
        this.jdbc = new Jdbc(ds, "flows");
        this.clock = clock;
    }

    @Override
    public List<Flow> flows() {
        return jdbc.list("SELECT definition FROM flow ORDER BY id", r -> FlowJson.read(r.getString(1)));
    }

    @Override
    public Optional<Flow> flow(String id) {
        return jdbc.one("SELECT definition FROM flow WHERE id = ?", r -> FlowJson.read(r.getString(1)), id);
    }

    @Override
    public void save(Flow flow) {
        String json = FlowJson.write(flow);
        Timestamp now = Timestamp.from(clock.instant());
        jdbc.inTransaction(c -> {
            if (Jdbc.update(c, "UPDATE flow SET name = ?, definition = ?, updated = ? WHERE id = ?", flow.name(), json,
                    now, flow.id()) == 0) {
                Jdbc.update(c, "INSERT INTO flow (id, name, definition, updated) VALUES (?, ?, ?, ?)", flow.id(),
                        flow.name(), json, now);
            }
            return null;
        });
    }

    @Override
    public boolean remove(String id) {
        return jdbc.update("DELETE FROM flow WHERE id = ?", id) > 0;
    }
}
