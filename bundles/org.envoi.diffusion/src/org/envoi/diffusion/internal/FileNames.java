package org.envoi.diffusion.internal;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Makes a file name that every mail client and file system takes: no path separators or reserved characters, no
 * control or invisible format characters, no leading dots, no trailing dots or spaces, no Windows device name, at most
 * {@link #MAX} characters with the extension kept and no character cut in half.
 */
final class FileNames {

    static final int MAX = 120;

    /**
     * Windows opens a device, not a file, for these names, whatever the case and whatever follows the first dot
     * ({@code NUL.tar.gz}); it also ignores spaces before that dot. COM and LPT take 0-9 and the superscripts ¹²³.
     */
    private static final Pattern WINDOWS_DEVICE = Pattern.compile("(CON|PRN|AUX|NUL|COM[0-9\u00B9\u00B2\u00B3]"
            + "|LPT[0-9\u00B9\u00B2\u00B3])");

    private FileNames() {
    }

    static String sanitize(String name, String fallback) {
        String n = Normalizer.normalize(name == null ? "" : name, Normalizer.Form.NFC)
                // format characters are invisible and some reorder what is shown (U+202E makes "fdp.exe" read
                // "exe.pdf"); a lone surrogate is half a character: both go without a trace
                .replaceAll("[\\p{Cf}\\p{Cs}]+", "")
                .replaceAll("[\\p{Cntrl}\\u2028\\u2029]+", " ")
                .replaceAll("[/\\\\:*?\"<>|]", "_")
                .replaceAll("\\s+", " ")
                .strip()
                .replaceAll("^[.\\s]+", "");
        n = trimEnd(n);
        if (n.isEmpty() || n.chars().allMatch(c -> c == '_')) {
            n = fallback;
        }
        if (n.length() > MAX) {
            int dot = n.lastIndexOf('.');
            String ext = dot > 0 && n.length() - dot <= 10 ? n.substring(dot) : "";
            int end = MAX - ext.length();
            if (Character.isHighSurrogate(n.charAt(end - 1))) {
                end--; // never keep the first half of a pair
            }
            n = ext.isEmpty() ? trimEnd(n.substring(0, end)) : n.substring(0, end) + ext;
        }
        return deviceNameMadeOrdinary(n);
    }

    /** Windows drops trailing dots and spaces, so a name must not end with them. */
    private static String trimEnd(String n) {
        return n.replaceAll("[.\\s]+$", "");
    }

    private static String deviceNameMadeOrdinary(String n) {
        int dot = n.indexOf('.');
        String base = (dot < 0 ? n : n.substring(0, dot)).stripTrailing();
        if (!WINDOWS_DEVICE.matcher(base.toUpperCase(Locale.ROOT)).matches()) {
            return n;
        }
        if (n.length() < MAX) {
            return "_" + n;
        }
        int end = MAX - 1;
        if (Character.isHighSurrogate(n.charAt(end - 1))) {
            end--;
        }
        return "_" + trimEnd(n.substring(0, end));
    }
}
