package org.envoi.api.mail;

import java.util.Objects;

/**
 * How Envoi logs in to a mail server: a bearer token (OAuth2) with a SASL mechanism, or a password (BASIC flows).
 * {@link #toString()} never shows the secret.
 */
public sealed interface MailLogin {

    String user();

    /** The SASL mechanism a bearer token is sent with. */
    enum Mechanism {
        /** Google's and Microsoft's {@code user=…^Aauth=Bearer …^A^A}. */
        XOAUTH2,
        /** RFC 7628, the standard twin. */
        OAUTHBEARER
    }

    record Bearer(String user, String token, Mechanism mechanism) implements MailLogin {
        public Bearer {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(mechanism, "mechanism");
        }

        @Override
        public String toString() {
            return "Bearer[" + user + ", " + mechanism + ", token (" + token.length() + " chars)]";
        }
    }

    record Password(String user, String password) implements MailLogin {
        public Password {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "Password[" + user + ", ****]";
        }
    }
}
