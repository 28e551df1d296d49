package org.envoi.vault.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a fresh 96-bit nonce per write and the entry's name as associated data, so that a ciphertext
 * moved under another entry's name (another operator's, say) fails to decrypt.
 * <p>
 * Format: {@code "EVT1"} magic, 12-byte nonce, ciphertext with its 16-byte tag.
 */
final class VaultCipher {

    static final int KEY_BYTES = 32;
    private static final byte[] MAGIC = "EVT1".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int MIN_LENGTH = MAGIC.length + NONCE_BYTES + TAG_BITS / 8;

    private final SecretKey key;
    private final SecureRandom random = new SecureRandom();

    VaultCipher(byte[] masterKey) {
        if (masterKey.length != KEY_BYTES) {
            throw new IllegalArgumentException("the vault master key must be 32 bytes (256 bits), not "
                    + masterKey.length);
        }
        this.key = new SecretKeySpec(masterKey, "AES");
    }

    byte[] seal(String associated, byte[] plain) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(plain);
            return ByteBuffer.allocate(MAGIC.length + NONCE_BYTES + sealed.length).put(MAGIC).put(nonce).put(sealed)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this Java runtime", e);
        }
    }

    /**
     * @throws DamagedEntryException when the bytes are not an entry, were changed, or belong to another name or key
     */
    byte[] open(String associated, byte[] sealed) throws DamagedEntryException {
        if (sealed.length < MIN_LENGTH || !Arrays.equals(MAGIC, Arrays.copyOf(sealed, MAGIC.length))) {
            throw new DamagedEntryException("truncated or not a vault entry (" + sealed.length + " bytes)");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key,
                    new GCMParameterSpec(TAG_BITS, sealed, MAGIC.length, NONCE_BYTES));
            c.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
            int offset = MAGIC.length + NONCE_BYTES;
            return c.doFinal(sealed, offset, sealed.length - offset);
        } catch (AEADBadTagException e) {
            throw new DamagedEntryException("its authentication tag does not match (changed, moved or another key)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this Java runtime", e);
        }
    }

    /** Thrown when an entry cannot be opened; the message says why, never what it holds. */
    static final class DamagedEntryException extends Exception {
        private static final long serialVersionUID = 1L;

        DamagedEntryException(String message) {
            super(message);
        }
    }
}
