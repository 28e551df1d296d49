package org.envoi.vault.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.envoi.vault.internal.VaultCipher.DamagedEntryException;

/**
 * One encrypted file per entry in a 0700 folder; files are 0600. A write goes to a temporary file that is forced to
 * disk and renamed over the entry, so a crash leaves the old value or the new one. Entries that cannot be opened are
 * reported and never overwritten: a new value moves the damaged file aside first.
 */
public final class FileTokenVault implements TokenVault {

    private static final Logger LOG = System.getLogger(FileTokenVault.class.getName());
    private static final String SUFFIX = ".vlt";
    private static final String TEMP_SUFFIX = ".tmp";
    private static final String CHECK_NAME = "key-check" + SUFFIX;
    private static final String CHECK_AAD = "envoi-vault-key-check";
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    /** A temporary file older than this is the leftover of a crash, not a write in progress. */
    private static final Duration STALE_TEMP = Duration.ofMinutes(1);

    private final Path dir;
    private final VaultCipher cipher;
    private final boolean posix;
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    /**
     * Opens (or creates) the vault in {@code dir} with this master key.
     *
     * @param keySource says where the key came from, for error messages
     * @throws EnvoiException VAULT_ERROR when the folder holds a vault written with another key
     */
    public FileTokenVault(Path dir, byte[] masterKey, String keySource) {
        this.dir = dir.toAbsolutePath();
        this.cipher = new VaultCipher(masterKey);
        this.posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        try {
            if (!Files.isDirectory(this.dir)) {
                Files.createDirectories(this.dir, attrs(DIR_MODE));
            }
            checkKey(keySource);
            removeStaleTemporaries();
        } catch (IOException e) {
            throw error("cannot open the vault folder " + this.dir + ": " + e.getMessage(), e);
        }
    }

    public Path folder() {
        return dir;
    }

    private void checkKey(String keySource) throws IOException {
        Path check = dir.resolve(CHECK_NAME);
        if (Files.exists(check)) {
            try {
                cipher.open(CHECK_AAD, Files.readAllBytes(check));
            } catch (DamagedEntryException e) {
                throw error("the vault in " + dir + " was written with another master key than the one from "
                        + keySource + ": restore that key (ENVOI_VAULT_KEY, the key file or the keyring); nothing"
                        + " was changed", null);
            }
        } else {
            atomicWrite(check, cipher.seal(CHECK_AAD, CHECK_AAD.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private void removeStaleTemporaries() throws IOException {
        Instant limit = Instant.now().minus(STALE_TEMP);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
            for (Path p : s) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(limit)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    public Optional<String> read(VaultKey key) {
        Path file = fileOf(key);
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            Optional<Path> legacy = legacyFileOf(key);
            if (legacy.isEmpty()) {
                return Optional.empty();
            }
            file = legacy.get();
            try {
                sealed = Files.readAllBytes(file);
            } catch (NoSuchFileException gone) {
                return Optional.empty();
            } catch (IOException e2) {
                throw error("cannot read the vault entry " + describe(key) + ": " + e2.getMessage(), e2);
            }
        } catch (IOException e) {
            throw error("cannot read the vault entry " + describe(key) + ": " + e.getMessage(), e);
        }
        try {
            return Optional.of(new String(cipher.open(key.canonical(), sealed), StandardCharsets.UTF_8));
        } catch (DamagedEntryException e) {
            throw error("the vault entry " + describe(key) + " (" + file + ") is damaged: " + e.getMessage()
                    + ". It was left as it is; consent again or set the secret again to replace it", null);
        }
    }

    @Override
    public void write(VaultKey key, String value) {
        Path file = fileOf(key);
        synchronized (locks.computeIfAbsent(file.getFileName().toString(), k -> new Object())) {
            try {
                keepDamagedAside(key, file);
                atomicWrite(file, cipher.seal(key.canonical(), value.getBytes(StandardCharsets.UTF_8)));
                removeLegacy(key);
            } catch (IOException e) {
                throw error("cannot write the vault entry " + describe(key) + ": " + e.getMessage()
                        + "; the previous value is unchanged", e);
            }
        }
    }

    /** A damaged entry is evidence (tampering, a bad disk): keep its bytes under another name, never overwrite them. */
    private void keepDamagedAside(VaultKey key, Path file) throws IOException {
        byte[] old;
        try {
            old = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return;
        }
        try {
            cipher.open(key.canonical(), old);
        } catch (DamagedEntryException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".damaged-" + Instant.now().toEpochMilli());
            Files.move(file, aside);
            LOG.log(Level.WARNING, "Envoi vault entry " + describe(key) + " was damaged (" + e.getMessage()
                    + "); kept as " + aside.getFileName() + " and replaced by the new value");
        }
    }

    @Override
    public boolean delete(VaultKey key) {
        Path file = fileOf(key);
        synchronized (locks.computeIfAbsent(file.getFileName().toString(), k -> new Object())) {
            try {
                boolean existed = Files.deleteIfExists(file);
                existed |= removeLegacy(key);
                forceDirectory();
                return existed;
            } catch (IOException e) {
                throw error("cannot delete the vault entry " + describe(key) + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public List<VaultKey> keys(String flowId) {
        java.util.Set<VaultKey> out = new java.util.TreeSet<>(java.util.Comparator.comparing(VaultKey::canonical));
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : s) {
                String[] parts = p.getFileName().toString().replace(SUFFIX, "").split("~", -1);
                try {
                    if (parts.length == 3 && decode(parts[1]).equals(flowId)) {
                        out.add(new VaultKey(decode(parts[0]), decode(parts[1]), decode(parts[2])));
                    }
                } catch (IllegalArgumentException e) {
                    // not a name this vault writes (copied in by hand): not an entry
                }
            }
        } catch (IOException e) {
            throw error("cannot list the vault folder " + dir + ": " + e.getMessage(), e);
        }
        return new ArrayList<>(out);
    }

    /**
     * Readable names: ids are restricted to file-safe characters; '~' separates, '*' is spelled %2A and every
     * upper-case letter %XX, so that "Alice" and "alice" stay two files where the file system ignores case (Windows,
     * macOS).
     */
    private Path fileOf(VaultKey key) {
        return dir.resolve(encode(key.kind()) + "~" + encode(key.flowId()) + "~" + encode(key.operatorId()) + SUFFIX);
    }

    /** The name the vault used before upper-case letters were encoded. */
    private static String legacyNameOf(VaultKey key) {
        return key.kind().replace("*", "%2A") + "~" + key.flowId().replace("*", "%2A") + "~"
                + key.operatorId().replace("*", "%2A") + SUFFIX;
    }

    /**
     * The entry's file under its old name, if the folder holds a file of exactly that name (compared with case, since
     * on a case-insensitive file system the old name of "Alice" also finds the file of "alice").
     */
    private Optional<Path> legacyFileOf(VaultKey key) {
        String legacy = legacyNameOf(key);
        if (legacy.equals(fileOf(key).getFileName().toString())) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : s) {
                if (p.getFileName().toString().equals(legacy)) {
                    return Optional.of(p);
                }
            }
        } catch (IOException e) {
            throw error("cannot list the vault folder " + dir + ": " + e.getMessage(), e);
        }
        return Optional.empty();
    }

    /** Removes the entry's file under its old name once it is proved to be this entry's (it opens under its name). */
    private boolean removeLegacy(VaultKey key) throws IOException {
        Optional<Path> legacy = legacyFileOf(key);
        if (legacy.isEmpty()) {
            return false;
        }
        try {
            cipher.open(key.canonical(), Files.readAllBytes(legacy.get()));
        } catch (DamagedEntryException | NoSuchFileException e) {
            return false; // not provably this entry's: left as it is
        }
        return Files.deleteIfExists(legacy.get());
    }

    private static String encode(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || (c >= 'A' && c <= 'Z')) {
                b.append('%').append(String.format("%02X", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String decode(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private void atomicWrite(Path target, byte[] bytes) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    attrs(FILE_MODE))) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Makes the rename itself durable (POSIX); elsewhere the move is as durable as the OS makes it. */
    private void forceDirectory() {
        if (!posix) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems refuse to open a directory; the data itself was forced
        }
    }

    private FileAttribute<?>[] attrs(Set<PosixFilePermission> mode) {
        return posix ? new FileAttribute<?>[] { PosixFilePermissions.asFileAttribute(mode) } : new FileAttribute<?>[0];
    }

    private static String describe(VaultKey key) {
        return "'" + key.kind() + "' of flow '" + key.flowId() + "' for "
                + (VaultKey.SHARED.equals(key.operatorId()) ? "the whole flow" : "operator '" + key.operatorId() + "'");
    }

    private static EnvoiException error(String message, Throwable cause) {
        return new EnvoiException(ErrorCode.VAULT_ERROR, null, message, cause);
    }

    /** For tests and tools: the file that holds an entry. */
    public Path fileFor(VaultKey key) {
        return fileOf(key);
    }
}
