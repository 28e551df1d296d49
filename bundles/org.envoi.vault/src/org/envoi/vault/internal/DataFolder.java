package org.envoi.vault.internal;

import java.nio.file.Path;

import org.osgi.framework.BundleContext;

/**
 * Where Envoi keeps its data: the framework property {@value #PROPERTY} (the CLI's {@code --data}, the product's
 * {@code ENVOI_DATA}), else {@code ~/.envoi}. Read once, at component activation.
 */
public final class DataFolder {

    public static final String PROPERTY = "envoi.data";

    private DataFolder() {
    }

    public static Path of(BundleContext context) {
        String configured = context.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".envoi");
    }
}
