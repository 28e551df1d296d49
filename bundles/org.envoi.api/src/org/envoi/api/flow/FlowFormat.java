package org.envoi.api.flow;

import java.util.List;

/**
 * Flows as JSON, the one format for showing, exporting and importing them; never holds a secret (the client secret
 * and password are in the vault). Reading names the field at fault ({@code INVALID_FLOW_DATA}) and reads every file
 * an earlier Envoi wrote.
 */
public interface FlowFormat {

    /** One flow's definition, as {@code flow show} prints it. */
    String write(Flow flow);

    /** The flows as a JSON array of their definitions, as {@code flow list --json} prints them. */
    String writeList(List<Flow> flows);

    /** The export file: {@code {"envoi": "flows", "format": N, "flows": [...]}}. */
    String export(List<Flow> flows);

    /** Reads an export file; every flow is read before any is returned, so a bad one stops the whole import. */
    List<Flow> readExport(String json);
}
