package org.envoi.ui.addons;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Where the Add-ons screen looks for add-ons, and whether an administrator locked installs.
 * <p>
 * {@value #SITES}: a comma-separated list of {@code file:} and {@code https:} URLs, from a system property
 * ({@code -D} or {@code configuration/config.ini}) or else the product's property (plugin.xml of org.envoi.app);
 * default: the {@code repository/} folder beside the product when there is one. {@value #LOCKED}: {@code true} in
 * either place hides install, update and uninstall (an ERP site that forbids installs); a user cannot unlock what
 * the product locks.
 */
public record AddonsSettings(List<URI> sites, boolean locked, List<String> problems) {

    public static final String SITES = "envoi.updateSites";
    public static final String LOCKED = "envoi.addons.locked";

    public AddonsSettings {
        sites = List.copyOf(sites);
        problems = List.copyOf(problems);
    }

    /**
     * @param system  the system properties (config.ini lands there)
     * @param product the running product's properties ({@code null} when unset)
     * @param install the product's folder, or {@code null}
     */
    public static AddonsSettings of(UnaryOperator<String> system, UnaryOperator<String> product, Path install) {
        boolean locked = "true".equalsIgnoreCase(trim(system.apply(LOCKED)))
                || "true".equalsIgnoreCase(trim(product.apply(LOCKED)));
        String list = trim(system.apply(SITES));
        if (list.isEmpty()) {
            list = trim(product.apply(SITES));
        }
        List<URI> sites = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (list.isEmpty()) {
            if (install != null && Files.isDirectory(install.resolve("repository"))) {
                sites.add(install.resolve("repository").toUri());
            }
        } else {
            for (String entry : list.split(",")) {
                String s = entry.strip();
                if (s.isEmpty()) {
                    continue;
                }
                URI uri = parse(s);
                if (uri == null) {
                    problems.add(SITES + ": '" + s + "' is not a file: or https: URL; give a comma-separated list of"
                            + " file: and https: URLs (README, Add-ons)");
                } else {
                    sites.add(uri);
                }
            }
        }
        return new AddonsSettings(sites, locked, problems);
    }

    /** The running product's settings: system properties, then the product's properties. */
    public static AddonsSettings current() {
        org.eclipse.core.runtime.IProduct product = org.eclipse.core.runtime.Platform.getProduct();
        Path install = null;
        try {
            java.net.URL url = org.eclipse.core.runtime.Platform.getInstallLocation() == null ? null
                    : org.eclipse.core.runtime.Platform.getInstallLocation().getURL();
            if (url != null && "file".equals(url.getProtocol())) {
                install = Path.of(url.getPath());
            }
        } catch (RuntimeException e) {
            install = null; // no install location: no default site
        }
        return of(System::getProperty, k -> product == null ? null : product.getProperty(k), install);
    }

    private static URI parse(String s) {
        try {
            URI uri = new URI(s);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (scheme.equals("file") && uri.getPath() != null) {
                return uri;
            }
            if (scheme.equals("https") && uri.getHost() != null) {
                return uri;
            }
            return null;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static String trim(String s) {
        return s == null ? "" : s.strip();
    }
}
