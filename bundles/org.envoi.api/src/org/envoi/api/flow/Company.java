package org.envoi.api.flow;

import java.util.Objects;
import java.util.Optional;

/**
 * The company that sends: its name fills {@code [SOCIETE]}, its footer and logo close every mail.
 *
 * @param logo the logo image, shown inline in HTML mails
 * @param logoMimeType e.g. {@code image/png}
 */
public record Company(String name, String footer, Optional<byte[]> logo, String logoMimeType) {

    public Company {
        name = name == null ? "" : name;
        footer = footer == null ? "" : footer;
        Objects.requireNonNull(logo, "logo");
        logoMimeType = logoMimeType == null ? "image/png" : logoMimeType;
    }

    public static Company empty() {
        return new Company("", "", Optional.empty(), "image/png");
    }
}
