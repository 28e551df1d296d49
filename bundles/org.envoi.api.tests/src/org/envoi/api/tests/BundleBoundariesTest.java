package org.envoi.api.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * What two bundles share is a service in the API: reads every non-test bundle's manifest in the repository and fails
 * on an import of another bundle's {@code .internal} package (by {@code Import-Package}, or by {@code Require-Bundle} of
 * a bundle that exports one), on an {@code x-friends} export, and on the store's flow JSON format package.
 */
class BundleBoundariesTest {

    /** The crossings still allowed, each as it is reported: none since SMTP, IMAP and POP3 are services (issue 17). */
    private static final Set<String> STILL_ALLOWED = Set.of();

    @Test
    void noBundleReachesIntoAnotherBundlesInternals() throws IOException {
        Map<String, Attributes> bundles = nonTestManifests(repositoryRoot());
        assertTrue(bundles.containsKey("org.envoi.api") && bundles.containsKey("org.envoi.cli"),
                "the repository's bundles were not found: " + bundles.keySet());
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, Attributes> b : bundles.entrySet()) {
            String name = b.getKey();
            Attributes m = b.getValue();
            for (String clause : clauses(m.getValue("Export-Package"))) {
                if (clause.contains("x-friends")) {
                    found.add(name + ": Export-Package " + head(clause) + " with x-friends");
                }
                if (head(clause).equals("org.envoi.store.json")) {
                    found.add(name + ": Export-Package org.envoi.store.json (the flow format is a service)");
                }
            }
            for (String clause : clauses(m.getValue("Import-Package"))) {
                String pkg = head(clause);
                if (internal(pkg) && !pkg.startsWith(name + ".")) {
                    found.add(name + ": Import-Package " + pkg + " (another bundle's internal package)");
                }
                if (pkg.equals("org.envoi.store.json")) {
                    found.add(name + ": Import-Package org.envoi.store.json (use the FlowFormat service)");
                }
            }
            for (String clause : clauses(m.getValue("Require-Bundle"))) {
                Attributes required = bundles.get(head(clause));
                if (required != null) {
                    for (String exported : clauses(required.getValue("Export-Package"))) {
                        if (internal(head(exported))) {
                            found.add(name + ": Require-Bundle " + head(clause) + ", which exports "
                                    + head(exported));
                        }
                    }
                }
            }
        }
        List<String> newOnes = found.stream().filter(f -> !STILL_ALLOWED.contains(f)).toList();
        assertEquals(List.of(), newOnes, "bundles reach into other bundles' internals; share a service in"
                + " org.envoi.api instead");
        // an exception that is gone must leave the list too, so that it cannot come back unseen
        List<String> stale = STILL_ALLOWED.stream().filter(a -> !found.contains(a)).sorted().toList();
        assertEquals(List.of(), stale, "allowed exceptions that no longer occur: remove them from STILL_ALLOWED");
    }

    private static boolean internal(String pkg) {
        return pkg.endsWith(".internal") || pkg.contains(".internal.");
    }

    /** The checkout holding this test: Tycho runs it in a folder under the fragment's target. */
    private static Path repositoryRoot() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("bundles/org.envoi.api/META-INF/MANIFEST.MF"))) {
                return d;
            }
        }
        throw new AssertionError("No Envoi checkout above " + dir + ": run this test from the repository's build");
    }

    /** Symbolic name to main attributes, for every bundle folder whose name does not end in {@code .tests}. */
    private static Map<String, Attributes> nonTestManifests(Path root) throws IOException {
        Map<String, Attributes> out = new TreeMap<>();
        for (String area : List.of("bundles", "releng", "features")) {
            if (!Files.isDirectory(root.resolve(area))) {
                continue;
            }
            try (Stream<Path> s = Files.list(root.resolve(area))) {
                for (Path folder : s.sorted().toList()) {
                    Path mf = folder.resolve("META-INF/MANIFEST.MF");
                    if (folder.getFileName().toString().endsWith(".tests") || !Files.isRegularFile(mf)) {
                        continue;
                    }
                    try (InputStream in = Files.newInputStream(mf)) {
                        Attributes a = new Manifest(in).getMainAttributes();
                        out.put(head(a.getValue("Bundle-SymbolicName")), a);
                    }
                }
            }
        }
        return out;
    }

    /** A header's clauses: split at commas outside quotes. */
    private static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        StringBuilder c = new StringBuilder();
        boolean quoted = false;
        for (char ch : header.toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
            }
            if (ch == ',' && !quoted) {
                out.add(c.toString().strip());
                c.setLength(0);
            } else {
                c.append(ch);
            }
        }
        if (!c.isEmpty()) {
            out.add(c.toString().strip());
        }
        return out;
    }

    /** The package or bundle name of a clause, without its attributes and directives. */
    private static String head(String clause) {
        int semi = clause.indexOf(';');
        return (semi < 0 ? clause : clause.substring(0, semi)).strip();
    }
}
