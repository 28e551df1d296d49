package org.envoi.files.onedrive.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.envoi.api.files.FileStore;
import org.envoi.api.files.FileStore.LinkScope;
import org.envoi.api.files.FileStore.StoredFile;
import org.envoi.api.files.FileStore.Target;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.GraphServer;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 100 MB file through a OneDrive upload session against the contract server: the time, and the sending JVM's peak
 * heap growth (every heap pool's peak reset before; the contract server runs in the same JVM and streams too). It
 * must stream: the growth stays far below the file's size. Opt-in, not in CI: {@code -Dtest=OneDriveUploadBenchmark}
 * (see README). Size: {@code -Denvoi.bench.onedriveMB=100}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OneDriveUploadBenchmark {

    private static final long MB = 1024 * 1024;

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop()
    static Path temp;
    static MockOAuth2Server oauth;
    static GraphServer graph;

    @BeforeAll
    static void start() {
        oauth = MockOAuth2Server.start(MockOAuth2Server.MAIL_USERS);
        graph = GraphServer.startFiles(oauth, "mail", temp.resolve("graph"));
        OneDriveStoreTest.oauth = oauth;
        OneDriveStoreTest.graph = graph;
    }

    @AfterAll
    static void stop() {
        if (graph != null) {
            graph.close();
        }
        if (oauth != null) {
            oauth.close();
        }
        try (var files = Files.walk(temp)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            // a temp folder
        }
    }

    @Test
    void uploadsOneHundredMegabytesStreaming() throws Exception {
        long size = Long.getLong("envoi.bench.onedriveMB", 100) * MB;
        Path file = temp.resolve("big.bin");
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] block = new byte[(int) MB];
            Random random = new Random(100);
            for (long n = 0; n < size; n += block.length) {
                random.nextBytes(block);
                out.write(block);
                sent.update(block);
            }
        }
        FileStore store = OsgiServices.get(OsgiServices.context(getClass()), FileStore.class,
                "(" + FileStore.STORE_ID + "=onedrive)");
        Target target = new Target(OneDriveStoreTest.flow(Map.of("files.linkScope", "anonymous")), "alice",
                OneDriveStoreTest.alice(), "Bench", "big.bin");

        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        System.gc();
        long before = 0;
        long oldBefore = 0;
        for (MemoryPoolMXBean p : heap) {
            p.resetPeakUsage();
            before += p.getUsage().getUsed();
            oldBefore += old(p) ? p.getUsage().getUsed() : 0;
        }
        long t0 = System.nanoTime();
        StoredFile stored;
        try (InputStream in = Files.newInputStream(file)) {
            stored = store.store(target, in, size);
        }
        long nanos = System.nanoTime() - t0;
        long peak = 0;
        long oldPeak = 0;
        for (MemoryPoolMXBean p : heap) {
            peak += p.getPeakUsage().getUsed();
            oldPeak += old(p) ? p.getPeakUsage().getUsed() : 0;
        }
        double seconds = nanos / 1e9;
        System.out.printf("BENCH onedrive upload %d MB in fragments of %d MiB: %.2f s, %.1f MB/s; heap peak growth"
                + " %d MB (all heap pools, garbage included), old generation peak growth %d MB; heap max %d MB%n",
                size / MB, FragmentUpload.FRAGMENT / MB, seconds, size / MB / seconds, (peak - before) / MB,
                (oldPeak - oldBefore) / MB, Runtime.getRuntime().maxMemory() / MB);
        assertEquals(size, stored.size());
        // one fragment buffer, never the file; garbage counts too (the JDK's body publishers, which copy every byte,
        // made this 100 MB for 100 MB sent: hence SlicePublisher)
        assertTrue(peak - before < size / 2, "the heap grew by " + (peak - before) / MB + " MB");

        URI link = store.link(target, stored, LinkScope.ANONYMOUS, Optional.empty());
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        HttpResponse<InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(link).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (InputStream in = new DigestInputStream(r.body(), read)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        assertArrayEquals(sent.digest(), read.digest(), "the stored file is the one sent");
    }

    private static boolean old(MemoryPoolMXBean p) {
        String n = p.getName();
        return n.contains("Old") || n.contains("Tenured");
    }
}
