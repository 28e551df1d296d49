package org.envoi.app;

import java.text.MessageFormat;
import java.util.Locale;
import java.util.ResourceBundle;

/** The application's own words (About), English and French, in the platform's locale ({@code -nl}). */
final class AppMessages {

    private AppMessages() {
    }

    static String get(String key, Object... args) {
        ResourceBundle bundle = ResourceBundle.getBundle("org.envoi.app.messages", Locale.getDefault(),
                AppMessages.class.getClassLoader());
        // always through MessageFormat, so that an apostrophe is written '' in every entry
        return new MessageFormat(bundle.getString(key), Locale.getDefault()).format(args);
    }
}
