package org.envoi.api;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Where Envoi keeps its data (database, vault, key file): the framework property {@value #PROPERTY} (the CLI's
 * {@code --data}, the product's {@code ENVOI_DATA}), else {@code ~/.envoi}. Components read it once, at activation,
 * through {@code BundleContext::getProperty}.
 */
public final class DataFolder {

    public static final String PROPERTY = "envoi.data";

    private DataFolder() {
    }

    public static Path resolve(UnaryOperator<String> frameworkProperty) {
        String configured = frameworkProperty.apply(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".envoi");
    }
}
