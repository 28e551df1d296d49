package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.equinox.internal.p2.director.app.DirectorApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a desktop user does: install a provider feature into an installed Envoi from the update site, with the real
 * p2 director, offline, from the site's file: URL.
 */
class UpdateSiteInstallTest {

    private static final String GOOGLE_FEATURE = "org.envoi.provider.google.feature.feature.group";
    private static final String GOOGLE_BUNDLE = "org.envoi.provider.google";

    @TempDir
    Path temp;

    /** Runs the director in this framework against another installation, as "eclipse -application director" would. */
    private static int director(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-profile", "DefaultProfile", "-p2.os", "linux", "-p2.ws", "gtk", "-p2.arch", "x86_64"));
        Object exit = new DirectorApplication().run(all.toArray(String[]::new));
        return exit instanceof Integer i ? i : -1;
    }

    @Test
    void providerFeatureInstallsFromTheUpdateSiteIntoAProduct() throws Exception {
        Path product = BuiltProduct.copyOf(BuiltProduct.linuxProduct(), temp.resolve("envoi"));
        String site = BuiltProduct.site().toUri().toString();
        assertTrue(site.startsWith("file:"), site);
        assertTrue(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "the product ships the Google provider");

        assertEquals(0, director("-destination", product.toString(), "-uninstallIU", GOOGLE_FEATURE));
        assertFalse(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "uninstalled: no longer started");
        assertTrue(BuiltProduct.hasBundle(product, "org.envoi.provider.microsoft"), "the other provider stays");

        assertEquals(0, director("-repository", site, "-destination", product.toString(), "-installIU",
                GOOGLE_FEATURE));
        assertTrue(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "installed from " + site + ": listed in bundles.info");
        assertTrue(BuiltProduct.hasPluginJar(product, GOOGLE_BUNDLE), "installed: jar in plugins/");
        assertTrue(BuiltProduct.hasBundle(product, "org.envoi.core"), "core untouched");
    }

    @Test
    void anUnknownFeatureFailsAndLeavesTheProductAsItWas() throws Exception {
        Path product = BuiltProduct.copyOf(BuiltProduct.linuxProduct(), temp.resolve("envoi"));
        List<String> before = BuiltProduct.bundlesInfo(product);
        int exit = director("-repository", BuiltProduct.site().toUri().toString(), "-destination", product.toString(),
                "-installIU", "org.envoi.provider.nosuch.feature.feature.group");
        assertNotEquals(0, exit, "installing what the site does not have must fail");
        assertEquals(before, BuiltProduct.bundlesInfo(product), "a failed install changes nothing");
    }

    @Test
    void siteOffersTheFeaturesInTheirCategories() throws Exception {
        Path site = BuiltProduct.site();
        String content = readContent(site);
        for (String feature : List.of("org.envoi.core.feature", "org.envoi.provider.microsoft.feature",
                "org.envoi.provider.google.feature", "org.envoi.ui.feature", "org.envoi.cli.feature")) {
            assertTrue(content.contains("id='" + feature + ".feature.group'"), feature + " is on the site");
        }
        for (String category : List.of("Core", "Providers", "UI", "CLI")) {
            assertTrue(content.contains("name='org.eclipse.equinox.p2.name' value='" + category + "'"),
                    "category " + category);
        }
        assertFalse(content.contains("id='org.envoi.app'"), "the product's application bundle is not on the site");
    }

    private static String readContent(Path site) throws Exception {
        Path xml = site.resolve("content.xml");
        if (Files.exists(xml)) {
            return Files.readString(xml);
        }
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(site.resolve("content.jar").toFile())) {
            return new String(zip.getInputStream(zip.getEntry("content.xml")).readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
