package org.envoi.vault.tests;

import java.nio.file.Path;
import java.util.Base64;

import org.envoi.api.vault.VaultKey;
import org.envoi.vault.internal.FileTokenVault;

/**
 * The process {@link FileTokenVaultTest} kills in the middle of a write: it opens the vault and writes
 * {@link #ENTRY} again and again, each time a new value of the same size, until it is killed. Arguments: the vault
 * folder, the master key (base64), the size of a value in characters.
 */
public final class VaultWriterChild {

    static final VaultKey ENTRY = VaultKey.tokens("f", "being-written");

    private VaultWriterChild() {
    }

    public static void main(String[] args) {
        FileTokenVault vault = new FileTokenVault(Path.of(args[0]), Base64.getDecoder().decode(args[1]), "test key");
        int size = Integer.parseInt(args[2]);
        for (long n = 1;; n++) {
            vault.write(ENTRY, value(n, size));
            if (n == 1) {
                System.out.println("WRITTEN 1");
                System.out.flush();
            }
        }
    }

    /** The n-th value: its number, then a letter that depends on it up to {@code size} characters. */
    static String value(long n, int size) {
        String head = String.format("v%012d-", n);
        return head + String.valueOf((char) ('a' + n % 26)).repeat(size - head.length());
    }
}
