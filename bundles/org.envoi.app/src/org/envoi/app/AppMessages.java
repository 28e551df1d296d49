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
        String s = bundle.getString(key);
        return args.length == 0 ? s : new MessageFormat(s, Locale.getDefault()).format(args);
    }
}
