package org.envoi.relay.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.relay.RelayUsers;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The relay's local logins in {@code <data>/relay/users} (owner-only), one line per operator:
 * {@code operator TAB pbkdf2-sha256$iterations$salt$hash TAB when}. PBKDF2-HMAC-SHA256 with 600,000 iterations and a
 * 16-byte random salt (OWASP's Password Storage Cheat Sheet figure for that function). An ERP that opens a connection
 * per mail would pay that for every login, so a login that succeeded is remembered in memory for
 * {@link #REMEMBERED} as an HMAC under a key of this process (never written): the next one with the same password is
 * checked in microseconds; a changed or removed password forgets it.
 */
@Component(service = RelayUsers.class)
public final class RelayUsersFile implements RelayUsers {

    static final int ITERATIONS = 600_000;
    private static final int MIN_LENGTH = 12;
    private static final java.time.Duration REMEMBERED = java.time.Duration.ofMinutes(15);
    /** What an unknown user's check hashes against, so that it costs what a wrong password does. */
    private static final byte[] DUMMY_SALT = new byte[16];

    private final Path file;
    private final OperatorRepository operators;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final byte[] processKey = new byte[32];
    private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();

    private record Remembered(byte[] mac, Instant until) {
    }

    private record Entry(String operatorId, int iterations, byte[] salt, byte[] hash, Instant set) {
    }

    @Activate
    public RelayUsersFile(BundleContext context, @Reference OperatorRepository operators) {
        this(DataFolder.resolve(context::getProperty).resolve("relay").resolve("users"), operators,
                Clock.systemUTC());
    }

    RelayUsersFile(Path file, OperatorRepository operators, Clock clock) {
        this.file = file;
        this.operators = operators;
        this.clock = clock;
        random.nextBytes(processKey);
    }

    @Override
    public synchronized void set(String operatorId, char[] password) {
        try {
            if (operators.operator(operatorId).isEmpty()) {
                throw new EnvoiException(ErrorCode.INVALID_INPUT, "operator", "There is no operator '" + operatorId
                        + "': add it first (envoi operator add), then give it a relay password.", null);
            }
            if (password.length < MIN_LENGTH) {
                throw new EnvoiException(ErrorCode.INVALID_INPUT, "password", "The relay password has "
                        + password.length + " characters; give one of at least " + MIN_LENGTH + " (it is typed once"
                        + " into the ERP's mail settings: make it long and random).", null);
            }
            byte[] salt = new byte[16];
            random.nextBytes(salt);
            Map<String, Entry> all = read();
            all.put(operatorId, new Entry(operatorId, ITERATIONS, salt, hash(password, salt, ITERATIONS),
                    clock.instant()));
            write(all);
            remembered.remove(operatorId);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    @Override
    public synchronized List<RelayUser> list() {
        List<RelayUser> out = new ArrayList<>();
        read().values().forEach(e -> out.add(new RelayUser(e.operatorId(), e.set())));
        return out;
    }

    @Override
    public synchronized boolean remove(String operatorId) {
        Map<String, Entry> all = read();
        boolean had = all.remove(operatorId) != null;
        if (had) {
            write(all);
        }
        remembered.remove(operatorId);
        return had;
    }

    @Override
    public Optional<String> check(String user, char[] password) {
        try {
            Entry e;
            synchronized (this) {
                e = read().get(user);
            }
            if (e == null) {
                hash(password, DUMMY_SALT, ITERATIONS);
                return Optional.empty();
            }
            byte[] mac = mac(e, password);
            Remembered r = remembered.get(user);
            if (r != null && clock.instant().isBefore(r.until()) && MessageDigest.isEqual(r.mac(), mac)) {
                return Optional.of(user);
            }
            if (!MessageDigest.isEqual(e.hash(), hash(password, e.salt(), e.iterations()))) {
                return Optional.empty();
            }
            remembered.put(user, new Remembered(mac, clock.instant().plus(REMEMBERED)));
            return Optional.of(user);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** The in-memory proof of a password that logged in: keyed by this process's secret and the entry's salt. */
    private byte[] mac(Entry e, char[] password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(processKey, "HmacSHA256"));
            mac.update(e.salt());
            byte[] utf8 = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password)).array();
            try {
                return mac.doFinal(utf8);
            } finally {
                Arrays.fill(utf8, (byte) 0);
            }
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static byte[] hash(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            spec.clearPassword();
        }
    }

    private Map<String, Entry> read() {
        Map<String, Entry> out = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            int n = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t");
                String[] h = f.length == 3 ? f[1].split("\\$") : new String[0];
                if (h.length != 4 || !"pbkdf2-sha256".equals(h[0])) {
                    throw new EnvoiException(ErrorCode.INVALID_INPUT, "relay-users", "Line " + n + " of " + file
                            + " is not a relay login Envoi wrote; remove the line (or the file) and give the"
                            + " operator a relay password again (envoi relay-user add).", null);
                }
                Base64.Decoder b64 = Base64.getDecoder();
                out.put(f[0], new Entry(f[0], Integer.parseInt(h[1]), b64.decode(h[2]), b64.decode(h[3]),
                        Instant.parse(f[2])));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private void write(Map<String, Entry> all) {
        StringBuilder text = new StringBuilder();
        Base64.Encoder b64 = Base64.getEncoder();
        for (Entry e : all.values()) {
            text.append(e.operatorId()).append('\t').append("pbkdf2-sha256$").append(e.iterations()).append('$')
                    .append(b64.encodeToString(e.salt())).append('$').append(b64.encodeToString(e.hash()))
                    .append('\t').append(e.set()).append('\n');
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-------")));
            }
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
