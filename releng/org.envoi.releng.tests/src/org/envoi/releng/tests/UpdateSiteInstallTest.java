package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

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
    static int director(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-profile", "DefaultProfile", "-p2.os", "linux", "-p2.ws", "gtk", "-p2.arch", "x86_64"));
        Object exit = new DirectorApplication().run(all.toArray(String[]::new));
        return exit instanceof Integer i ? i : -1;
    }

    /**
     * The product starts without the Google provider (uninstalled and garbage-collected as p2 does: no unit in the
     * profile, no jar, no artifact in the bundle pool), and does not offer it; after the install from the site's file:
     * URL the profile lists the unit, plugins/ holds a new jar with the site's bytes, and the restarted product offers
     * the provider.
     */
    @Test
    void providerFeatureInstallsFromTheUpdateSiteIntoAProductWithoutIt() throws Exception {
        Path product = productWithoutGoogle(temp.resolve("envoi"));
        String site = BuiltProduct.site().toUri().toString();
        assertTrue(site.startsWith("file:"), site);
        assertFalse(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "before: not in bundles.info");
        assertFalse(BuiltProduct.hasPluginJar(product, GOOGLE_BUNDLE), "before: no jar in plugins/");
        assertFalse(profileLists(product, GOOGLE_BUNDLE), "before: not in the p2 profile");
        assertFalse(profileLists(product, GOOGLE_FEATURE), "before: not in the p2 profile");
        assertFalse(Files.readString(product.resolve("artifacts.xml")).contains("id='" + GOOGLE_BUNDLE + "'"),
                "before: not in the product's bundle pool");
        BuiltProduct.Run offered = offerGoogle(product);
        assertEquals(4, offered.code(), offered.out() + offered.err());
        assertTrue(offered.err().startsWith("PROVIDER_NOT_FOUND: No provider 'google' is installed; installed:"
                + " [microsoft]"), "before: the product does not offer Google: " + offered.err());

        assertEquals(0, director("-repository", site, "-destination", product.toString(), "-installIU",
                GOOGLE_FEATURE));

        assertTrue(profileLists(product, GOOGLE_FEATURE), "the p2 profile lists the installed feature");
        assertTrue(profileLists(product, GOOGLE_BUNDLE), "the p2 profile lists the provider's unit");
        Path jar = pluginJar(product, GOOGLE_BUNDLE);
        assertEquals(-1, Files.mismatch(jar, pluginJar(BuiltProduct.site(), GOOGLE_BUNDLE)),
                "the new jar in plugins/ is the site's");
        assertTrue(BuiltProduct.bundlesInfo(product).stream().anyMatch(l -> l.startsWith(GOOGLE_BUNDLE + ",")
                && l.contains("plugins/" + jar.getFileName() + ",")), "bundles.info starts that jar");
        assertTrue(BuiltProduct.hasBundle(product, "org.envoi.core"), "core untouched");
        BuiltProduct.Run after = offerGoogle(product);
        assertEquals(0, after.code(), "after a restart the product offers Google: " + after.out() + after.err());
        assertEquals("flow g saved", after.out().strip());
    }

    /**
     * A copy of the built product with the Google provider feature uninstalled by the director, then what p2's
     * garbage collector removes from the bundle pool (the jar, the feature folder, their artifacts.xml entries): a
     * leftover jar or artifact entry could otherwise stand in for the one the install must bring.
     */
    static Path productWithoutGoogle(Path target) throws Exception {
        Path product = BuiltProduct.copyOf(BuiltProduct.linuxProduct(), target);
        assertTrue(BuiltProduct.hasBundle(product, GOOGLE_BUNDLE), "the built product ships the Google provider");
        assertEquals(0, director("-destination", product.toString(), "-uninstallIU", GOOGLE_FEATURE));
        assertTrue(BuiltProduct.hasBundle(product, "org.envoi.provider.microsoft"), "the other provider stays");
        for (String folder : List.of("plugins", "features")) {
            try (Stream<Path> s = Files.list(product.resolve(folder))) {
                for (Path p : s.filter(p -> p.getFileName().toString().startsWith(GOOGLE_BUNDLE + "_") || p
                        .getFileName().toString().startsWith(GOOGLE_BUNDLE + ".feature_")).toList()) {
                    deleteTree(p);
                }
            }
        }
        Path artifacts = product.resolve("artifacts.xml");
        String xml = Files.readString(artifacts);
        Matcher m = Pattern.compile("(?s)\\s*<artifact classifier='[^']*' id='" + Pattern.quote(GOOGLE_BUNDLE)
                + "(\\.feature)?' .*?</artifact>").matcher(xml);
        int removed = 0;
        StringBuilder kept = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(kept, "");
            removed++;
        }
        m.appendTail(kept);
        Matcher size = Pattern.compile("<artifacts size='(\\d+)'>").matcher(kept);
        assertTrue(size.find(), "artifacts.xml lists its artifacts");
        String fixed = kept.substring(0, size.start(1)) + (Integer.parseInt(size.group(1)) - removed) + kept
                .substring(size.end(1));
        Files.writeString(artifacts, fixed);
        return product;
    }

    /** {@code envoi flow add g --provider google}: saved only when the running product has that provider. */
    private BuiltProduct.Run offerGoogle(Path product) throws Exception {
        return BuiltProduct.run(product, temp.resolve("data-" + System.nanoTime()), Map.of("ENVOI_VAULT_KEY",
                Base64.getEncoder().encodeToString(new byte[32])), "flow", "add", "g", "--provider", "google",
                "--client-id", "envoi.apps.googleusercontent.com");
    }

    /** Whether the newest state of the product's p2 profile has an installable unit with that id. */
    static boolean profileLists(Path product, String unit) throws Exception {
        Path registry = product.resolve("p2/org.eclipse.equinox.p2.engine/profileRegistry/DefaultProfile.profile");
        Path newest;
        try (Stream<Path> s = Files.list(registry)) {
            newest = s.filter(p -> p.getFileName().toString().endsWith(".profile.gz")).max(Comparator.comparingLong(
                    p -> Long.parseLong(p.getFileName().toString().replace(".profile.gz", "")))).orElseThrow();
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(newest))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("<unit id='" + unit + "' ");
        }
    }

    private static Path pluginJar(Path root, String symbolicName) throws Exception {
        try (Stream<Path> s = Files.list(root.resolve("plugins"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(symbolicName + "_") && p.toString().endsWith(
                    ".jar")).findFirst().orElseThrow(() -> new AssertionError("no " + symbolicName + " jar in "
                            + root.resolve("plugins")));
        }
    }

    private static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
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
                "org.envoi.provider.google.feature", "org.envoi.transport.graph.feature", "org.envoi.ui.feature",
                "org.envoi.cli.feature")) {
            assertTrue(content.contains("id='" + feature + ".feature.group'"), feature + " is on the site");
        }
        for (String category : List.of("Core", "Providers", "Transports", "UI", "CLI")) {
            assertTrue(content.contains("name='org.eclipse.equinox.p2.name' value='" + category + "'"),
                    "category " + category);
        }
        assertFalse(content.contains("id='org.envoi.app'"), "the product's application bundle is not on the site");
    }

    /** The OneDrive file store (issue 17) is on the site under "File stores", and not in the product. */
    @Test
    void theOneDriveStoreIsOnTheSiteUnderFileStoresAndNotInTheProduct() throws Exception {
        String content = readContent(BuiltProduct.site());
        assertTrue(content.contains("id='org.envoi.files.onedrive.feature.feature.group'"), "OneDrive is on the site");
        assertTrue(content.contains("id='org.envoi.files.onedrive'"), "with its bundle");
        assertTrue(content.contains("name='org.eclipse.equinox.p2.name' value='File stores'"), "category File stores");
        assertFalse(BuiltProduct.hasBundle(BuiltProduct.linuxProduct(), "org.envoi.files.onedrive"),
                "the product does not carry it: it installs from the site");
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
