package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.GraphServer;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's drop-in, as a user does it: the materialized product ships without Microsoft Graph and OneDrive; both
 * features install from the built update site with the p2 director; the installed product's {@code envoi} script then
 * adds a Graph flow with OneDrive links, signs in, sends a mail with a 20 MB file and reads it back — against the Graph
 * contract server (GraphServer), mock-oauth2-server and Dovecot. No file of what was installed before changes.
 */
class TransportDropInTest {

    private static final String GRAPH_FEATURE = "org.envoi.transport.graph.feature.feature.group";
    private static final String ONEDRIVE_FEATURE = "org.envoi.files.onedrive.feature.feature.group";
    private static final String OPERATOR = "alice";

    @TempDir
    Path temp;

    @Test
    void graphAndOneDriveInstallFromTheSiteAndA20MbFileGoesAsALinkAndComesBack() throws Exception {
        Path product = BuiltProduct.copyOf(BuiltProduct.linuxProduct(), temp.resolve("envoi"));
        assertFalse(BuiltProduct.hasBundle(product, "org.envoi.transport.graph"), "the product ships without Graph");
        assertFalse(BuiltProduct.hasBundle(product, "org.envoi.files.onedrive"), "and without OneDrive");
        Path data = temp.resolve("data");
        Map<String, String> env = Map.of("ENVOI_VAULT_KEY", Base64.getEncoder().encodeToString(new byte[32]));
        Map<String, String> before = digests(product);

        try (MailPeers peers = MailPeers.start(temp.resolve("peers"));
                GraphServer graph = GraphServer.start(peers, "mail", temp.resolve("graph"))) {
            List<String> add = new ArrayList<>(List.of("flow", "add", "g", "--provider", "custom", "--client-id",
                    MockOAuth2Server.GRAPH_CLIENT, "--auth-url", peers.oauth.authorizationEndpoint("mail").toString(),
                    "--token-url", peers.oauth.tokenEndpoint("mail").toString(), "--scopes",
                    "openid https://graph.microsoft.com/Mail.Send https://graph.microsoft.com/Mail.ReadWrite"
                            + " https://graph.microsoft.com/Files.ReadWrite offline_access", "--consent", "print",
                    "--transport", "graph", "--graph-url", graph.base() + "/v1.0", "--large-files", "onedrive",
                    "--files-folder", "Envoi/BL", "--link-scope", "anonymous", "--attachment-limit-mb", "10"));
            BuiltProduct.Run refused = BuiltProduct.run(product, data, env, add.toArray(String[]::new));
            assertEquals(4, refused.code(), refused.out() + refused.err());
            assertTrue(refused.err().startsWith("INVALID_FLOW_DATA: No transport 'graph' is installed; installed:"
                    + " smtp"), "before: " + refused.err());

            assertEquals(0, UpdateSiteInstallTest.director("-repository", BuiltProduct.site().toUri().toString(),
                    "-destination", product.toString(), "-installIU", GRAPH_FEATURE + "," + ONEDRIVE_FEATURE));
            Map<String, String> after = digests(product);
            before.forEach((file, digest) -> assertEquals(digest, after.get(file), file + " changed or went away"));
            assertTrue(after.keySet().stream().anyMatch(f -> f.startsWith("plugins/org.envoi.transport.graph_")),
                    "the Graph bundle came");

            BuiltProduct.Run saved = BuiltProduct.run(product, data, env, add.toArray(String[]::new));
            assertEquals(0, saved.code(), saved.out() + saved.err());
            BuiltProduct.Run op = BuiltProduct.run(product, data, env, "operator", "add", OPERATOR, "--email",
                    MailServers.address(OPERATOR), "--flow", "g");
            assertEquals(0, op.code(), op.err());
            signIn(product, data, env);

            byte[] big = new byte[20 * 1024 * 1024];
            new Random(17).nextBytes(big);
            Path file = temp.resolve("BL-0017.pdf");
            Files.write(file, big);
            BuiltProduct.Run send = BuiltProduct.run(product, data, env, "send", "--operator", OPERATOR, "--to",
                    MailServers.address(OPERATOR), "--subject", "BL-0017 by Graph", "--body", "Your delivery note.",
                    "--attach", file.toString(), "--wait");
            assertEquals(0, send.code(), send.out() + send.err());

            Path saveDir = temp.resolve("fetched");
            BuiltProduct.Run fetch = BuiltProduct.run(product, data, env, "fetch", "--operator", OPERATOR, "--save",
                    saveDir.toString());
            assertEquals(0, fetch.code(), fetch.out() + fetch.err());
            String mail;
            try (Stream<Path> s = Files.list(saveDir)) {
                List<Path> files = s.toList();
                assertEquals(1, files.size(), "one mail read back through Graph: " + files);
                mail = Files.readString(files.get(0), StandardCharsets.ISO_8859_1);
            }
            assertTrue(mail.contains("BL-0017 by Graph"), mail.length() > 2000 ? mail.substring(0, 2000) : mail);
            assertTrue(mail.length() < 1024 * 1024, "the 20 MB went as a link, not in the mail: " + mail.length());
            Matcher link = Pattern.compile(Pattern.quote(graph.base()) + "\\S*").matcher(mail.replace("=\r\n", "")
                    .replace("=3D", "="));
            assertTrue(link.find(), "the mail carries the file's link: " + mail);
            HttpResponse<byte[]> got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(link
                    .group())).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, got.statusCode(), link.group());
            assertEquals(-1, java.util.Arrays.mismatch(big, got.body()), "the stored file is the one sent");
            BuiltProduct.Run again = BuiltProduct.run(product, data, env, "fetch", "--operator", OPERATOR, "--json");
            assertEquals(0, again.code(), again.err());
            assertEquals("[ ]", again.out().strip(), "nothing is fetched twice");
        }
    }

    /** {@code envoi authorize --consent print}: the URL on standard error, the browser's redirect back on input. */
    private static void signIn(Path product, Path data, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(product.resolve("envoi").toString(), "--data", data.toString(),
                "authorize", "--operator", OPERATOR, "--consent", "print");
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("DISPLAY");
        pb.environment().putAll(env);
        Process p = pb.start();
        BufferedReader err = BuiltProduct.lines(p.getErrorStream());
        String url = null;
        List<String> lines = new ArrayList<>();
        for (String line; url == null && (line = err.readLine()) != null;) {
            lines.add(line);
            if (line.startsWith("http")) {
                url = line;
            }
        }
        assertTrue(url != null, "no authorization URL: " + lines);
        URI redirected = new BrowserUser(OPERATOR).signIn(URI.create(url));
        try (OutputStream in = p.getOutputStream()) {
            in.write((redirected + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Thread t = BuiltProduct.drain(err, lines, "envoi-authorize-err");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "authorize did not end");
        t.join(5_000);
        assertEquals(0, p.exitValue(), out + lines);
    }

    /** SHA-256 of every file under plugins/ and features/, by path relative to the product. */
    private static Map<String, String> digests(Path product) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String folder : List.of("plugins", "features")) {
            try (Stream<Path> s = Files.walk(product.resolve(folder))) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    out.put(product.relativize(f).toString(), HexFormat.of().formatHex(MessageDigest.getInstance(
                            "SHA-256").digest(Files.readAllBytes(f))));
                }
            }
        }
        return out;
    }
}
