package org.envoi.cli.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;

import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.oauth.SignInKeeper.Lapse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code envoi status}: the operators' sign-ins, a week ahead. Text: one line per sign-in that has lapsed or lapses
 * within 7 days ({@code FLOW TAB OPERATOR TAB RESOURCE|- TAB LAPSES_AT|lapsed TAB WHO TAB SENTENCE}), or one sentence
 * when none does; {@code --json}: {@code {"signIns": [...]}} with every stored sign-in. A server's own status can be
 * added beside {@code signIns}.
 */
final class StatusCommand {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final SignInKeeper keeper;

    StatusCommand(SignInKeeper keeper) {
        this.keeper = keeper;
    }

    int run(Cli.Options o, PrintStream out) throws IOException {
        List<Lapse> lapses = keeper.lapses(Instant.now());
        if (o.json()) {
            ObjectNode n = JSON.createObjectNode();
            n.set("signIns", json(lapses));
            out.println(JSON.writeValueAsString(n));
            return Cli.OK;
        }
        List<Lapse> soon = lapses.stream().filter(Lapse::soon).toList();
        if (soon.isEmpty()) {
            out.println("No sign-in lapses within " + SignInKeeper.WARNING.toDays() + " days (" + lapses.size()
                    + " stored).");
        }
        for (Lapse l : soon) {
            // a sentence may quote a provider's refusal
            out.println(Printable.field(l.flowId()) + "\t" + Printable.field(l.operatorId()) + "\t" + (l.resource()
                    .isEmpty() ? "-" : Printable.field(l.resource())) + "\t" + (l.lapsed() ? "lapsed" : l.lapsesAt()
                            .map(Instant::toString).orElse("-")) + "\t" + l.who() + "\t" + Printable.field(l
                                    .sentence()));
        }
        return Cli.OK;
    }

    /** Every sign-in: where it stands, when it lapses, who must act. */
    static ArrayNode json(List<Lapse> lapses) {
        ArrayNode a = JSON.createArrayNode();
        for (Lapse l : lapses) {
            ObjectNode one = a.addObject().put("flow", l.flowId()).put("operator", l.operatorId()).put("resource", l
                    .resource());
            l.lapsesAt().ifPresent(t -> one.put("lapsesAt", t.toString()));
            one.put("lapsed", l.lapsed()).put("soon", l.soon()).put("who", l.who().name()).put("sentence", l
                    .sentence());
        }
        return a;
    }
}
