package org.envoi.api.provider;

import java.net.URI;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An OAuth endpoint URL that may contain {@value #TENANT}, replaced by the flow's tenant (a directory GUID, a
 * verified domain, or a Microsoft alias such as {@code organizations}).
 */
public record EndpointTemplate(String template) {

    public static final String TENANT = "{tenant}";

    /** GUIDs, DNS names and aliases: nothing that could change the URL's path or query. */
    private static final Pattern SAFE_TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}");

    public EndpointTemplate {
        Objects.requireNonNull(template, "template");
        URI.create(template.replace(TENANT, "tenant"));
    }

    public boolean needsTenant() {
        return template.contains(TENANT);
    }

    /**
     * @throws IllegalArgumentException naming the tenant when it is needed and missing or unsafe in a URL
     */
    public URI resolve(String tenant) {
        if (!needsTenant()) {
            return URI.create(template);
        }
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalArgumentException("tenant is empty: this endpoint needs the directory (tenant) ID or domain");
        }
        if (!SAFE_TENANT.matcher(tenant).matches()) {
            throw new IllegalArgumentException(
                    "tenant '" + tenant + "' is not a directory ID, a domain or an alias: use letters, digits, '.' and '-'");
        }
        return URI.create(template.replace(TENANT, tenant));
    }

    @Override
    public String toString() {
        return template;
    }
}
