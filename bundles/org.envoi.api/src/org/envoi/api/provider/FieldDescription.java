package org.envoi.api.provider;

import java.util.List;
import java.util.Objects;

/**
 * One field a provider, a transport or a file store adds to a flow, described so that the flows editor and the
 * command line can offer it without knowing the service: the desktop draws a control per description, the CLI takes
 * {@code --set KEY=VALUE} (and named options for the common ones). The service checks the values itself
 * ({@code validate}), naming the field by {@link #key()}.
 *
 * @param key where the value is stored in the flow's settings, for example {@code graph.url}
 * @param label what the administrator reads, for example "Graph endpoint"
 * @param kind how the value is typed
 * @param defaultValue the value when none is given; empty when there is none
 * @param choices for {@link Kind#CHOICE}: the allowed values, the first being the default when none is given
 * @param help one sentence: what the field is for and where to find its value
 */
public record FieldDescription(String key, String label, Kind kind, String defaultValue, List<String> choices,
        String help) {

    public enum Kind {
        TEXT, URL, NUMBER, BOOLEAN, CHOICE, PATH
    }

    public FieldDescription {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(kind, "kind");
        defaultValue = defaultValue == null ? "" : defaultValue;
        choices = List.copyOf(choices);
        help = help == null ? "" : help;
    }
}
