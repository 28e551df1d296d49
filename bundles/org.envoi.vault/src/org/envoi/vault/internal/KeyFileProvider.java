package org.envoi.vault.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.KeyProvider;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The fallback: a key file {@code vault.key} (mode 0600) in the data folder, created with a random key on first use.
 * A key file that other users can read is refused rather than used.
 */
@Component(service = KeyProvider.class, property = "service.ranking:Integer=100")
public final class KeyFileProvider implements KeyProvider {

    public static final String FILE_NAME = "vault.key";
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path file;

    @Activate
    public KeyFileProvider(BundleContext context) {
        this(DataFolder.resolve(context::getProperty).resolve(FILE_NAME));
    }

    public KeyFileProvider(Path file) {
        this.file = file.toAbsolutePath();
    }

    @Override
    public String description() {
        return "the key file " + file;
    }

    @Override
    public Optional<byte[]> masterKey() {
        try {
            if (!Files.exists(file)) {
                create();
            }
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
                mode.retainAll(OTHERS);
                if (!mode.isEmpty()) {
                    throw new EnvoiException(ErrorCode.VAULT_ERROR, "the key file " + file + " can be read by other"
                            + " users: run 'chmod 600 " + file + "' and start again");
                }
            }
            byte[] key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
            if (key.length != VaultCipher.KEY_BYTES) {
                throw new EnvoiException(ErrorCode.VAULT_ERROR, "the key file " + file + " does not hold a 256-bit"
                        + " key; restore it from your backup (a new key cannot read the existing vault)");
            }
            return Optional.of(key);
        } catch (IllegalArgumentException e) {
            throw new EnvoiException(ErrorCode.VAULT_ERROR, "the key file " + file + " is not base64; restore it"
                    + " from your backup");
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.VAULT_ERROR, null, "cannot use the key file " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private void create() throws IOException {
        Files.createDirectories(file.getParent());
        byte[] key = new byte[VaultCipher.KEY_BYTES];
        new SecureRandom().nextBytes(key);
        byte[] text = (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII);
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        try {
            if (posix) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
            Files.write(file, text, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        } catch (FileAlreadyExistsException e) {
            // another process created it first: use theirs
        }
    }
}
