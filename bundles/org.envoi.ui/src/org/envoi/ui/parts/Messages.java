package org.envoi.ui.parts;

import java.text.MessageFormat;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/** The UI's words in English and French ({@code messages.properties}, {@code messages_fr.properties}). */
public final class Messages {

    private final ResourceBundle bundle;
    private final Locale locale;

    private Messages(Locale locale) {
        this.locale = locale;
        this.bundle = ResourceBundle.getBundle("org.envoi.ui.parts.messages", locale, Messages.class.getClassLoader());
    }

    /** French when the platform locale is French, English otherwise. */
    public static Messages of(Locale locale) {
        return new Messages(locale);
    }

    public static Messages platform() {
        return of(Locale.getDefault());
    }

    public Locale locale() {
        return locale;
    }

    public String get(String key, Object... args) {
        try {
            String s = bundle.getString(key);
            return args.length == 0 ? s : new MessageFormat(s, locale).format(args);
        } catch (MissingResourceException e) {
            return "!" + key + "!";
        }
    }
}
