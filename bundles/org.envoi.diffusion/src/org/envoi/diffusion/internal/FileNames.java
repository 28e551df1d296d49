package org.envoi.diffusion.internal;

import java.text.Normalizer;

/**
 * Makes a file name that every mail client and file system takes: no path separators or reserved characters, no
 * control characters, no leading dots, at most {@link #MAX} characters with the extension kept.
 */
final class FileNames {

    static final int MAX = 120;

    private FileNames() {
    }

    static String sanitize(String name, String fallback) {
        String n = Normalizer.normalize(name == null ? "" : name, Normalizer.Form.NFC)
                .replaceAll("[\\p{Cntrl}\\u2028\\u2029]+", " ")
                .replaceAll("[/\\\\:*?\"<>|]", "_")
                .replaceAll("\\s+", " ")
                .strip()
                .replaceAll("^[.\\s]+", "")
                .replaceAll("[.\\s]+$", "");
        if (n.isEmpty() || n.chars().allMatch(c -> c == '_')) {
            n = fallback;
        }
        if (n.length() > MAX) {
            int dot = n.lastIndexOf('.');
            String ext = dot > 0 && n.length() - dot <= 10 ? n.substring(dot) : "";
            n = n.substring(0, MAX - ext.length()) + ext;
        }
        return n;
    }
}
