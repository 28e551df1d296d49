package org.envoi.vault.equinox.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

import org.eclipse.equinox.security.storage.ISecurePreferences;
import org.eclipse.equinox.security.storage.SecurePreferencesFactory;
import org.eclipse.equinox.security.storage.StorageException;
import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.KeyProvider;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The desktop's master key, kept in Equinox secure storage, which the OS keyring protects where an Equinox keyring
 * module is installed (the product has Linux's, on the Secret Service, and macOS's Keychain). One key per data folder:
 * the node {@code org.envoi.vault/<id>}, the id in the data folder's file {@value #MARKER}, which also says to any
 * later process that this folder's key is in the keyring.
 * <p>
 * The command line and the desktop on one data folder choose the same key: a folder that already has its key file
 * (made by a command run without a keyring, or before the keyring) keeps it, and this provider gives nothing there; a
 * folder whose key is in the keyring makes a process that cannot reach the keyring (SSH: no D-Bus session, no Secret
 * Service) fail with {@code VAULT_ERROR} saying so and what to do, instead of letting the key file provider make a
 * second key. A folder with neither, and no reachable keyring, gets no key here, and the next provider is used.
 */
@Component(service = KeyProvider.class, property = "service.ranking:Integer=200")
public final class SecureStorageKeyProvider implements KeyProvider {

    static final String NODE = "org.envoi.vault";
    static final String ENTRY = "master-key";
    /** In the data folder: the keyring node of its key (written once the key is in the keyring). */
    public static final String MARKER = "vault.keyring";
    /** The key file provider's file: a folder that has it keeps it. */
    private static final String KEY_FILE = "vault.key";
    private static final Logger LOG = System.getLogger(SecureStorageKeyProvider.class.getName());

    private final Callable<ISecurePreferences> storage;
    private final Path data;
    private final UnaryOperator<String> environment;
    /**
     * How long the keyring may take: a user typing the keyring's password in its prompt fits in it; a keyring daemon
     * that waits on a prompt nobody sees (no prompter installed, a headless session) does not stop Envoi's start.
     */
    static final java.time.Duration ANSWER = java.time.Duration.ofSeconds(60);
    private final java.time.Duration timeout;
    /** Set once this provider gave up waiting: the keyring work still running must not mark the folder. */
    private volatile boolean abandoned;

    @Activate
    public SecureStorageKeyProvider(BundleContext context) {
        this(SecurePreferencesFactory::getDefault, DataFolder.resolve(context::getProperty), System::getenv,
                ANSWER);
    }

    /**
     * @param storage opens the secure storage to use (tests open one of their own)
     * @param dataFolder the data folder whose key this gives
     * @param environment the process's environment (to say why the keyring cannot be reached)
     */
    public SecureStorageKeyProvider(Callable<ISecurePreferences> storage, Path dataFolder,
            UnaryOperator<String> environment) {
        this(storage, dataFolder, environment, null);
    }

    /** @param timeout how long the keyring may take to answer; null: never wait on it */
    public SecureStorageKeyProvider(Callable<ISecurePreferences> storage, Path dataFolder,
            UnaryOperator<String> environment, java.time.Duration timeout) {
        this.storage = storage;
        this.data = dataFolder.toAbsolutePath();
        this.environment = environment;
        this.timeout = timeout;
    }

    @Override
    public String description() {
        return "Equinox secure storage (OS keyring)";
    }

    @Override
    public Optional<byte[]> masterKey() {
        if (timeout == null) {
            return fromKeyring();
        }
        java.util.concurrent.FutureTask<Optional<byte[]>> task = new java.util.concurrent.FutureTask<>(
                this::fromKeyring);
        Thread t = new Thread(task, "envoi-keyring");
        t.setDaemon(true);
        t.start();
        try {
            return task.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            abandoned = true;
            return unreachable(readId(data.resolve(MARKER)), "the keyring did not answer within " + timeout
                    .toSeconds() + " s (a prompt that nobody sees?)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvoiException(ErrorCode.VAULT_ERROR, "interrupted while waiting for the OS keyring");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new EnvoiException(ErrorCode.VAULT_ERROR, null, "the OS keyring failed: " + e.getCause(), e
                    .getCause());
        }
    }

    private Optional<byte[]> fromKeyring() {
        if (Files.exists(data.resolve(KEY_FILE))) {
            return Optional.empty(); // this folder's key is its key file: the desktop uses it as the command line does
        }
        Path marker = data.resolve(MARKER);
        String id = readId(marker);
        ISecurePreferences root;
        try {
            root = storage.call();
        } catch (Exception e) {
            return unreachable(id, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        if (root == null) {
            return unreachable(id, "no secure storage");
        }
        try {
            if (id != null) {
                String stored = root.node(NODE + "/" + id).get(ENTRY, null);
                if (stored == null) {
                    throw new EnvoiException(ErrorCode.VAULT_ERROR, "the OS keyring has no vault key for the data"
                            + " folder " + data + " (secure storage node " + NODE + "/" + id + ", named by " + marker
                            + "): restore the keyring from its backup, or set ENVOI_VAULT_KEY to the key");
                }
                return Optional.of(decode(stored));
            }
            return Optional.of(create(root, marker));
        } catch (StorageException e) {
            // locked keyring, no password to be had (no Secret Service): another provider may give this folder's key
            return unreachable(id, "secure storage refused: " + e.getMessage());
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.VAULT_ERROR, null, "the vault key could not be saved in secure storage: "
                    + e.getMessage(), e);
        }
    }

    /** A new key in the keyring, then the folder's marker naming it; a process that wrote the marker first wins. */
    private byte[] create(ISecurePreferences root, Path marker) throws StorageException, IOException {
        byte[] idBytes = new byte[16];
        SecureRandom random = new SecureRandom();
        random.nextBytes(idBytes);
        String id = HexFormat.of().formatHex(idBytes);
        byte[] key = new byte[32];
        random.nextBytes(key);
        ISecurePreferences node = root.node(NODE + "/" + id);
        node.put(ENTRY, Base64.getEncoder().encodeToString(key), true);
        root.flush();
        Files.createDirectories(data);
        if (abandoned) { // the start went on with another provider's key: this one is of no use
            node.removeNode();
            root.flush();
            return key;
        }
        try {
            boolean posix = marker.getFileSystem().supportedFileAttributeViews().contains("posix");
            if (posix) {
                Files.createFile(marker, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-------")));
            } else {
                Files.createFile(marker);
            }
            Files.writeString(marker, id + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                    StandardOpenOption.SYNC);
            LOG.log(Level.INFO, "Envoi keeps the vault key of " + data + " in the OS keyring (" + NODE + "/" + id
                    + ")");
            return key;
        } catch (FileAlreadyExistsException e) {
            node.removeNode(); // another process made this folder's key at the same moment: theirs is the one
            root.flush();
            String theirs = readId(marker);
            String stored = theirs == null ? null : root.node(NODE + "/" + theirs).get(ENTRY, null);
            if (stored == null) {
                throw new EnvoiException(ErrorCode.VAULT_ERROR, "the data folder " + data + " names a keyring key in "
                        + marker + " that is not there yet: start again");
            }
            return decode(stored);
        }
    }

    /**
     * The keyring cannot be reached: nothing from here when the folder's key is not in it (the key file provider
     * follows), else the sentence that says where the key is and what to do; nothing is created either way.
     */
    private Optional<byte[]> unreachable(String id, String why) {
        if (id == null) {
            LOG.log(Level.INFO, "Envoi: the OS keyring is not available (" + why + "); the vault key comes from"
                    + " another provider");
            return Optional.empty();
        }
        String bus = environment.apply("DBUS_SESSION_BUS_ADDRESS");
        String session = bus == null || bus.isBlank() ? "this session has no D-Bus session bus"
                + " (DBUS_SESSION_BUS_ADDRESS is not set, as over SSH)" : "the keyring did not open (" + why + ")";
        throw new EnvoiException(ErrorCode.VAULT_ERROR, "the vault key of the data folder " + data + " is in the"
                + " desktop's OS keyring (secure storage node " + NODE + "/" + id + ", named by " + data.resolve(MARKER)
                + "), and " + session + ". Run the command in the desktop's session, or, while you are logged in to"
                + " the desktop on this machine, give the command its session bus (DBUS_SESSION_BUS_ADDRESS=unix:path="
                + "/run/user/<your uid>/bus); a data folder used without a desktop should use ENVOI_VAULT_KEY or its"
                + " key file from the start. No key file was made, nothing was read or written");
    }

    private static byte[] decode(String stored) {
        byte[] key = Base64.getDecoder().decode(stored);
        if (key.length != 32) {
            throw new EnvoiException(ErrorCode.VAULT_ERROR, "the vault key in secure storage is not 256 bits:"
                    + " restore it from the keyring's backup");
        }
        return key;
    }

    private static String readId(Path marker) {
        try {
            String id = Files.readString(marker, StandardCharsets.US_ASCII).strip();
            if (!id.matches("[0-9a-f]{32}")) {
                throw new EnvoiException(ErrorCode.VAULT_ERROR, marker + " does not name a keyring key (32 hexadecimal"
                        + " digits): restore it from your backup");
            }
            return id;
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.VAULT_ERROR, null, "cannot read " + marker + ": " + e.getMessage(), e);
        }
    }
}
