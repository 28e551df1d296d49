package org.envoi.store.internal;

import java.util.List;

import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowFormat;
import org.envoi.store.json.FlowJson;
import org.osgi.service.component.annotations.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;

/** The flow JSON format the store keeps flows in, for whoever shows, exports or imports them. Needs no database. */
@Component(service = FlowFormat.class)
public final class JsonFlowFormat implements FlowFormat {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public String write(Flow flow) {
        return FlowJson.write(flow);
    }

    @Override
    public String writeList(List<Flow> flows) {
        ArrayNode a = JSON.createArrayNode();
        flows.forEach(f -> a.add(FlowJson.toNode(f)));
        try {
            return JSON.writeValueAsString(a);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A flow list could not be written as JSON", e); // a tree always can
        }
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
