package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Test;

/**
 * The product's own model holds no part: its window's tabs are made at start from the part descriptors that
 * {@code org.envoi.ui}'s fragment contributes, the same a host application opens, so that each part and its label is
 * written once (issue 19, point 3). Read from the materialized product's jars. That the window does show them, flows
 * first, is {@link FirstWindowTest}'s.
 */
class ApplicationModelTest {

    private static final List<String> PARTS = List.of("flows", "outbox", "inbox", "health", "operators",
            "mailsettings", "providers");

    @Test
    void theProductsModelUsesTheFragmentsDescriptorsAndRepeatsNoPart() throws Exception {
        Path plugins = BuiltProduct.linuxProduct().resolve("plugins");
        String application = entry(plugins, "org.envoi.app_", "Application.e4xmi");
        String fragment = entry(plugins, "org.envoi.ui_", "fragment.e4xmi");
        assertEquals(List.of(), find(application, "xsi:type=\"basic:Part\"[^>]*elementId=\"([^\"]+)\""),
                "parts written in Application.e4xmi besides the fragment's descriptors");
        assertTrue(application.contains("elementId=\"org.eclipse.ui.main.menu\""), "the main menu host id");
        List<String> descriptors = find(fragment, "xsi:type=\"basic:PartDescriptor\"[^>]*elementId=\"([^\"]+)\"");
        for (String part : PARTS) {
            assertTrue(descriptors.contains("org.envoi.ui.part." + part), part + " is described by the fragment: "
                    + descriptors);
        }
    }

    private static List<String> find(String xml, String regex) {
        Matcher m = Pattern.compile(regex).matcher(xml);
        return m.results().map(r -> r.group(1)).toList();
    }

    private static String entry(Path plugins, String prefix, String name) throws Exception {
        Path jar;
        try (Stream<Path> s = Files.list(plugins)) {
            jar = s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return new String(zip.getInputStream(zip.getEntry(name)).readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
