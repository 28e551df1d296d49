package org.envoi.store.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.jdbcx.JdbcDataSource;

/**
 * Keeps the embedded database to its owner. Its folder is 0700 whatever the process's umask (an ERP embedding the
 * store does not start through our script), so no other local user reads the database, its lock file (which holds the
 * AUTO_SERVER listener's address and key) or the outbox's mails. And the database has a random password, kept in an
 * owner-only file beside it, so that the listener, which every local user can reach, lets in only this user's
 * processes even if the key leaks (a folder whose mode someone widened, a backup copy). A database from before has
 * the empty password: it is changed at its first opening.
 */
final class PrivateH2 {

    static final String USER = "envoi";
    /** H2's "wrong user name or password". */
    private static final int WRONG_PASSWORD = 28000;
    private static final Set<PosixFilePermission> OTHERS = EnumSet.complementOf(EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));

    private PrivateH2() {
    }

    /** Where the password of the database {@code file} is kept. */
    static Path passwordFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".password");
    }

    /** Creates {@code folder} (and its missing parents) owner-only, or takes group and others off it. */
    static void privateFolder(Path folder) {
        try {
            if (Files.isDirectory(folder)) {
                tighten(folder);
            } else {
                Files.createDirectories(folder, ownerOnly("rwx------"));
                tighten(folder); // a folder another process created a moment before
            }
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.STORE_UNAVAILABLE, null, "The store cannot create its folder " + folder
                    + " (" + e.getMessage() + "): check that it can be written.", e);
        }
    }

    private static void tighten(Path p) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
        if (view != null) {
            Set<PosixFilePermission> perms = view.readAttributes().permissions();
            if (perms.removeAll(OTHERS)) {
                view.setPermissions(perms);
            }
        }
    }

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** The creation attribute that makes a file or folder owner-only, where the file system has POSIX modes. */
    static FileAttribute<?>[] ownerOnly(String mode) {
        return POSIX ? new FileAttribute<?>[] { PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                mode)) } : new FileAttribute<?>[0];
    }

    /**
     * The database's password: read from its file, or made (random, 192 bits) and written there first, so that a crash
     * at any point leaves a password that opens the database. Two processes making one at once keep the first.
     */
    static String password(Path file) {
        Path p = passwordFile(file);
        try {
            if (!Files.exists(p)) {
                byte[] random = new byte[24];
                new SecureRandom().nextBytes(random);
                String made = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                Path tmp = Files.createTempFile(p.getParent(), ".password-", ".tmp", ownerOnly("rw-------"));
                try {
                    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap(made.getBytes(StandardCharsets.US_ASCII)));
                        ch.force(true);
                    }
                    Files.createLink(p, tmp); // never replaces: the first process's password stays
                } catch (FileAlreadyExistsException another) {
                    // another process made it first
                } catch (UnsupportedOperationException noLinks) {
                    if (!Files.exists(p)) {
                        Files.move(tmp, p);
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            tighten(p);
            String password = Files.readString(p, StandardCharsets.US_ASCII).strip();
            if (password.isEmpty()) {
                throw new IOException("it is empty");
            }
            return password;
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.STORE_UNAVAILABLE, null, "The store cannot read or write the database's"
                    + " password file " + p + " (" + e.getMessage() + "): check that it is yours and can be written;"
                    + " if it was lost, restore it from the backup of the data folder.", e);
        }
    }

    /**
     * Opens the database through the pool once, with its password; a database that still has the empty password of
     * an earlier Envoi gets its new one here (another process may be doing the same: then its password is the same).
     */
    static void adopt(JdbcConnectionPool pool, String url, String password) {
        SQLException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try (Connection c = pool.getConnection()) {
                return;
            } catch (SQLException e) {
                if (e.getErrorCode() != WRONG_PASSWORD) {
                    throw unavailable(url, e);
                }
                last = e;
            }
            JdbcDataSource before = new JdbcDataSource();
            before.setURL(url);
            try (Connection c = before.getConnection(USER, "");
                    PreparedStatement s = c.prepareStatement("ALTER USER " + USER + " SET PASSWORD ?")) {
                s.setString(1, password);
                s.execute();
            } catch (SQLException e) {
                if (e.getErrorCode() != WRONG_PASSWORD) {
                    throw unavailable(url, e);
                }
                last = e; // changed by another process meanwhile, or not ours at all: look again
            }
        }
        throw new EnvoiException(ErrorCode.STORE_UNAVAILABLE, null, "The database " + url.replaceFirst(";.*", "")
                + " refuses the password kept beside it, and is not a database of an earlier Envoi either: restore"
                + " its password file (" + last.getMessage() + ").", last);
    }

    private static EnvoiException unavailable(String url, SQLException e) {
        return new EnvoiException(ErrorCode.STORE_UNAVAILABLE, null, "The database " + url.replaceFirst(";.*", "")
                + " cannot be opened (" + e.getMessage() + ").", e);
    }
}
