package org.envoi.vault.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.api.vault.VaultKey;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTokenVaultTest {

    private static final String SECRET = "rt-0.AVYA-very-secret-refresh-token-value";

    @TempDir
    Path temp;

    private static byte[] newKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    private FileTokenVault open(byte[] key) {
        return new FileTokenVault(temp.resolve("vault"), key, "test key");
    }

    @Test
    void roundTripWithPrivateFileModes() throws Exception {
        FileTokenVault vault = open(newKey());
        VaultKey alice = VaultKey.tokens("m365", "alice");
        assertEquals(Optional.empty(), vault.read(alice));
        vault.write(alice, SECRET);
        vault.write(VaultKey.clientSecret("m365"), "client-secret-value");
        vault.write(VaultKey.tokens("gmail", "alice"), "other flow");
        assertEquals(Optional.of(SECRET), vault.read(alice));
        assertEquals(List.of(VaultKey.clientSecret("m365"), alice), vault.keys("m365"));

        Path file = vault.fileFor(alice);
        assertFalse(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1).contains("secret"),
                "encrypted at rest");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(vault.folder())));

        assertTrue(vault.delete(alice));
        assertFalse(vault.delete(alice));
        assertEquals(Optional.empty(), vault.read(alice));
    }

    @Test
    void eachResourcesTokensAreAnEntryOfTheirOwn() throws Exception {
        FileTokenVault vault = open(newKey());
        VaultKey own = VaultKey.tokens("m365", "alice", "");
        VaultKey graph = VaultKey.tokens("m365", "alice", "graph");
        assertEquals(VaultKey.tokens("m365", "alice"), own, "resource \"\" is the entry vaults already hold");
        assertEquals("tokens|m365|alice", own.canonical());
        assertEquals("tokens.graph|m365|alice", graph.canonical());
        vault.write(own, "exchange tokens");
        vault.write(graph, "graph tokens");
        vault.write(VaultKey.clientSecret("m365"), "client-secret-value");
        assertEquals("tokens~m365~alice.vlt", vault.fileFor(own).getFileName().toString());
        assertEquals("tokens.graph~m365~alice.vlt", vault.fileFor(graph).getFileName().toString());
        assertEquals(Optional.of("exchange tokens"), vault.read(own));
        assertEquals(Optional.of("graph tokens"), vault.read(graph));
        assertEquals(Set.of(own, graph, VaultKey.clientSecret("m365")), Set.copyOf(vault.keys("m365")));
        assertEquals(List.of(Optional.of(""), Optional.of("graph"), Optional.empty()), List.of(own.tokensResource(),
                graph.tokensResource(), VaultKey.clientSecret("m365").tokensResource()));

        // one resource's file put in the place of the other's is refused, not handed out as the other's tokens
        Files.copy(vault.fileFor(graph), vault.fileFor(own), StandardCopyOption.REPLACE_EXISTING);
        assertEquals(ErrorCode.VAULT_ERROR, assertThrows(EnvoiException.class, () -> vault.read(own)).code());

        for (String bad : List.of("Graph", "graph|x", "gr aph", "g".repeat(33), "-graph")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VaultKey.tokens("m365", "alice", bad), bad);
            assertTrue(e.getMessage().startsWith("resource '"), e.getMessage());
        }
    }

    @Test
    void everyWriteUsesAFreshNonce() throws Exception {
        FileTokenVault vault = open(newKey());
        VaultKey k = VaultKey.tokens("f", "op");
        vault.write(k, SECRET);
        byte[] first = Files.readAllBytes(vault.fileFor(k));
        vault.write(k, SECRET);
        byte[] second = Files.readAllBytes(vault.fileFor(k));
        assertFalse(java.util.Arrays.equals(first, second), "same value, different ciphertext");
    }

    @Test
    void wrongKeyIsRefusedAndNothingChanges() throws Exception {
        FileTokenVault vault = open(newKey());
        VaultKey k = VaultKey.tokens("f", "op");
        vault.write(k, SECRET);
        byte[] before = Files.readAllBytes(vault.fileFor(k));
        EnvoiException e = assertThrows(EnvoiException.class, () -> open(newKey()));
        assertEquals(ErrorCode.VAULT_ERROR, e.code());
        assertTrue(e.getMessage().contains("another master key") && e.getMessage().contains("test key"),
                e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(vault.fileFor(k)));
    }

    @Test
    void tamperedOrTruncatedEntryIsReportedAndNeverOverwritten() throws Exception {
        byte[] key = newKey();
        FileTokenVault vault = open(key);
        VaultKey k = VaultKey.tokens("f", "op");
        VaultKey other = VaultKey.tokens("f", "other");
        vault.write(k, SECRET);
        vault.write(other, "still fine");
        Path file = vault.fileFor(k);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 20] ^= 0x01;
        Files.write(file, bytes);

        EnvoiException e = assertThrows(EnvoiException.class, () -> vault.read(k));
        assertEquals(ErrorCode.VAULT_ERROR, e.code());
        assertTrue(e.getMessage().contains("damaged") && e.getMessage().contains("'op'"), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET));
        assertArrayEquals(bytes, Files.readAllBytes(file), "reading does not repair or delete");
        assertEquals(Optional.of("still fine"), vault.read(other), "other entries intact");

        vault.write(k, "new value after consent");
        assertEquals(Optional.of("new value after consent"), vault.read(k));
        try (Stream<Path> s = Files.list(vault.folder())) {
            Path aside = s.filter(p -> p.getFileName().toString().contains(".damaged-")).findFirst().orElseThrow();
            assertArrayEquals(bytes, Files.readAllBytes(aside), "the damaged bytes are kept aside");
        }

        Files.write(file, java.util.Arrays.copyOf(Files.readAllBytes(file), 10));
        assertTrue(assertThrows(EnvoiException.class, () -> vault.read(k)).getMessage().contains("truncated"));
    }

    @Test
    void oneOperatorsEntryCannotBeReadAsAnothers() throws Exception {
        FileTokenVault vault = open(newKey());
        VaultKey alice = VaultKey.tokens("f", "alice");
        VaultKey bob = VaultKey.tokens("f", "bob");
        vault.write(alice, SECRET);
        Files.copy(vault.fileFor(alice), vault.fileFor(bob), StandardCopyOption.REPLACE_EXISTING);
        EnvoiException e = assertThrows(EnvoiException.class, () -> vault.read(bob));
        assertFalse(e.getMessage().contains(SECRET));
        assertEquals(Optional.of(SECRET), vault.read(alice));
    }

    @Test
    void concurrentWritersNeverLeaveATornEntry() throws Exception {
        FileTokenVault vault = open(newKey());
        VaultKey shared = VaultKey.tokens("f", "shared-key");
        vault.write(shared, "v-initial");
        int writers = 8;
        int writes = 150;
        Set<String> written = ConcurrentHashMap.newKeySet();
        written.add("v-initial");
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < writes; i++) {
                    String v = "v-" + id + "-" + i + "-" + "x".repeat(i % 50);
                    written.add(v);
                    vault.write(shared, v);
                    vault.write(VaultKey.tokens("f", "own-" + id), v);
                }
                return null;
            }));
        }
        List<String> readErrors = new ArrayList<>();
        Future<?> reader = pool.submit(() -> {
            start.await();
            while (!done.get()) {
                String v = vault.read(shared).orElseThrow();
                if (!written.contains(v)) {
                    readErrors.add(v);
                }
            }
            return null;
        });
        start.countDown();
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        done.set(true);
        reader.get(10, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(List.of(), readErrors, "a reader saw a value nobody wrote");
        assertTrue(written.contains(vault.read(shared).orElseThrow()));
        for (int w = 0; w < writers; w++) {
            assertEquals(Optional.of("v-" + w + "-" + (writes - 1) + "-" + "x".repeat((writes - 1) % 50)),
                    vault.read(VaultKey.tokens("f", "own-" + w)));
        }
        try (Stream<Path> s = Files.list(vault.folder())) {
            assertEquals(0, s.filter(p -> p.toString().endsWith(".tmp")).count(), "no temporary file left");
        }
    }

    @Test
    void namesThatDifferOnlyByCaseGetFileNamesThatDifferWhateverTheCase() throws Exception {
        FileTokenVault vault = open(newKey());
        VaultKey upper = VaultKey.tokens("Sales", "Alice");
        VaultKey lower = VaultKey.tokens("sales", "alice");
        String upperName = vault.fileFor(upper).getFileName().toString();
        String lowerName = vault.fileFor(lower).getFileName().toString();
        // on Windows and macOS file systems two names equal but for case are one file
        assertFalse(upperName.equalsIgnoreCase(lowerName), upperName + " and " + lowerName + " are one file there");
        vault.write(upper, "Alice's tokens");
        vault.write(lower, "alice's tokens");
        assertEquals(Optional.of("Alice's tokens"), vault.read(upper));
        assertEquals(Optional.of("alice's tokens"), vault.read(lower));
        assertEquals(List.of(upper), vault.keys("Sales"));
        assertEquals(List.of(lower), vault.keys("sales"));
        VaultKey star = VaultKey.clientSecret("Sales");
        vault.write(star, "secret");
        assertEquals(List.of(star, upper), vault.keys("Sales"), "the shared '*' operator still round-trips");
    }

    @Test
    void entriesWrittenUnderTheOldNamesAreStillReadAndMovedOnTheNextWrite() throws Exception {
        byte[] key = newKey();
        FileTokenVault vault = open(key);
        VaultKey alice = VaultKey.tokens("Sales", "Alice");
        VaultKey shared = VaultKey.clientSecret("Sales");
        vault.write(alice, "written before the upgrade");
        vault.write(shared, "old secret");
        // the names the vault used before: ids as they are, '*' spelled %2A
        Path oldAlice = vault.folder().resolve("tokens~Sales~Alice.vlt");
        Path oldShared = vault.folder().resolve("client-secret~Sales~%2A.vlt");
        if (!vault.fileFor(alice).equals(oldAlice)) {
            Files.move(vault.fileFor(alice), oldAlice);
        }
        if (!vault.fileFor(shared).equals(oldShared)) {
            Files.move(vault.fileFor(shared), oldShared);
        }

        FileTokenVault reopened = open(key);
        assertEquals(Optional.of("written before the upgrade"), reopened.read(alice));
        assertEquals(Optional.of("old secret"), reopened.read(shared));
        assertEquals(List.of(shared, alice), reopened.keys("Sales"), "listed once each");
        assertEquals(Optional.empty(), reopened.read(VaultKey.tokens("Sales", "alice")),
                "the old file of 'Alice' is not 'alice''s");

        reopened.write(alice, "after the upgrade");
        assertEquals(Optional.of("after the upgrade"), reopened.read(alice));
        assertFalse(Files.exists(oldAlice), "the old name is gone once the entry is written under the new one");
        assertTrue(Files.exists(reopened.fileFor(alice)));
        assertTrue(reopened.delete(shared));
        assertEquals(Optional.empty(), reopened.read(shared));
        assertFalse(Files.exists(oldShared));
        assertEquals(List.of(alice), reopened.keys("Sales"));
    }

    /**
     * A real crash in the middle of a write: a child JVM writes one entry again and again (16 MB values) and is killed
     * (SIGKILL) while a file of that entry is half written. The entry is then its old value or one of the new ones,
     * whole (never torn, empty or damaged), and the entries nobody wrote are intact.
     */
    @Test
    void aProcessKilledInTheMiddleOfAWriteLeavesThatEntryOldOrNewAndWhole() throws Exception {
        byte[] key = newKey();
        FileTokenVault vault = open(key);
        VaultKey written = VaultWriterChild.ENTRY;
        VaultKey a = VaultKey.tokens("f", "a");
        VaultKey b = VaultKey.clientSecret("f");
        int size = 16 * 1024 * 1024;
        vault.write(written, VaultWriterChild.value(0, size)); // the value before the crash
        vault.write(a, "a's tokens");
        vault.write(b, "the client secret");
        long full = Files.size(vault.fileFor(written)); // every value has the same size, so has every whole file
        String halfWritten = null;
        for (int attempt = 1; halfWritten == null && attempt <= 5; attempt++) {
            Process child = new ProcessBuilder(TestServers.java(), "-Xmx512m", "-cp", TestServers.frameworkClassPath(
                    FileTokenVaultTest.class), VaultWriterChild.class.getName(), vault.folder().toString(),
                    Base64.getEncoder().encodeToString(key), Integer.toString(size))
                    .redirectError(temp.resolve("child" + attempt + ".err").toFile()).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                assertEquals("WRITTEN 1", out.readLine(), "the child wrote; see child" + attempt + ".err");
                // kill the moment a file of more than the small entries but less than a whole one is seen
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (partial(vault.folder(), full) == null && child.isAlive() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                child.destroyForcibly(); // SIGKILL: no finally block, no shutdown hook runs
                assertTrue(child.waitFor(20, TimeUnit.SECONDS));
            }
            assertEquals(137, child.exitValue(), "killed, not ended; see child" + attempt + ".err");
            halfWritten = partial(vault.folder(), full); // the kill landed inside the write (else: once more)
        }
        assertTrue(halfWritten != null, "no kill landed in the middle of a write in 5 attempts");
        System.out.println("FileTokenVaultTest: the writer was killed with " + halfWritten + " half written");

        FileTokenVault reopened = open(key);
        String value = reopened.read(written).orElseThrow(() -> new AssertionError("the entry is gone"));
        assertTrue(value.startsWith("v") && value.length() == size, "neither the old value nor a whole new one: "
                + value.length() + " characters");
        long n = Long.parseLong(value.substring(1, 13));
        assertTrue(value.equals(VaultWriterChild.value(n, size)), "value " + n + " is not whole");
        assertEquals(Optional.of("a's tokens"), reopened.read(a), "the other entries are intact");
        assertEquals(Optional.of("the client secret"), reopened.read(b));
        assertEquals(List.of(b, a, written), reopened.keys("f"), "the half-written file is no entry: " + halfWritten);
        reopened.write(written, "after the restart");
        assertEquals(Optional.of("after the restart"), reopened.read(written), "the entry is writable again");
    }

    /** A file in the vault folder bigger than the small entries and smaller than a whole written one, if any. */
    private static String partial(Path folder, long full) throws java.io.IOException {
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.toList()) {
                try {
                    long n = Files.size(p);
                    if (n > 4096 && n < full) {
                        return p.getFileName() + " (" + n + " of " + full + " bytes)";
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // renamed or removed meanwhile
                }
            }
        }
        return null;
    }

    @Test
    void aStaleTemporaryFileLeftByACrashIsRemovedWhenTheVaultOpens() throws Exception {
        byte[] key = newKey();
        FileTokenVault vault = open(key);
        VaultKey k = VaultKey.tokens("f", "op");
        vault.write(k, "old value");
        Path file = vault.fileFor(k);
        Path leftover = file.resolveSibling("." + file.getFileName() + ".crashed.tmp");
        Files.write(leftover, new byte[] { 1, 2, 3 });
        Files.setLastModifiedTime(leftover, FileTime.from(Instant.now().minusSeconds(3600)));

        FileTokenVault reopened = open(key);
        assertEquals(Optional.of("old value"), reopened.read(k));
        assertFalse(Files.exists(leftover), "the crash leftover is cleaned up when the vault opens");
    }
}
