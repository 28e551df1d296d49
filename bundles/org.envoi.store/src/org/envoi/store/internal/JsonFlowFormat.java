package org.envoi.store.internal;

import java.util.List;

import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowFormat;
import org.envoi.store.json.FlowJson;
import org.osgi.service.component.annotations.Component;

/** The flow JSON format the store keeps flows in, for whoever shows, exports or imports them. Needs no database. */
@Component(service = FlowFormat.class)
public final class JsonFlowFormat implements FlowFormat {

    @Override
    public String write(Flow flow) {
        return FlowJson.write(flow);
    }

    @Override
    public String writeList(List<Flow> flows) {
        return FlowJson.writeList(flows);
    }

    @Override
    public String export(List<Flow> flows) {
        return FlowJson.export(flows);
    }

    @Override
    public List<Flow> readExport(String json) {
        return FlowJson.readExport(json);
    }
}
