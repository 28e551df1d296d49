package org.envoi.api.flow;

import java.net.URI;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.transport.MailTransport;

/**
 * An authentication flow as the administrator declares it. Secrets (client secret, password) are not here: they live
 * in the vault under the flow's id.
 *
 * @param id stable identifier (letters, digits, {@code . _ @ + -}), used as the vault's flow key
 * @param name what the administrator calls it
 * @param type BASIC or OAUTH2
 * @param providerId {@code microsoft}, {@code google}, another installed provider, or {@code custom}
 * @param oauth the provider-specific part (tenant, client ID, redirect URI, scopes, consent host, app-only)
 * @param authorizationUri for {@code custom} only: the authorization endpoint (providers take theirs from the preset)
 * @param tokenUri for {@code custom} only
 * @param deviceUri for {@code custom} only, optional
 * @param smtp the sending server, if the flow sends
 * @param imap the IMAP server, if the flow reads over IMAP
 * @param pop the POP3 server, if the flow reads over POP3
 * @param username the mailbox login for BASIC (and the shared mailbox's user for a generic flow); may be empty
 * @param genericAddress present for a generic flow: every operator sends as this shared mailbox
 * @param attachmentLimitBytes the largest total of attachments per mail; 0 for no limit
 * @param secretExpiry when the client secret expires (Azure secrets last 24 months at most)
 * @param transport the id of the {@code MailTransport} that sends ({@value org.envoi.api.transport.MailTransport#SMTP}
 *        when none is named, as for every flow stored before transports existed)
 * @param settings what the transport, the mailbox reader and the file stores read ({@code graph.url},
 *        {@code files.large}...), each described by its service's {@code FieldDescription}s; never a secret
 */
public record Flow(String id, String name, FlowType type, String providerId, ProviderFields oauth,
        Optional<URI> authorizationUri, Optional<URI> tokenUri, Optional<URI> deviceUri, Optional<MailServer> smtp,
        Optional<MailServer> imap, Optional<MailServer> pop, String username, Optional<String> genericAddress,
        long attachmentLimitBytes, Optional<LocalDate> secretExpiry, String transport, Map<String, String> settings) {

    /** How long before the client secret's expiry the administrator is warned. */
    public static final int SECRET_WARNING_DAYS = 30;

    public Flow {
        Objects.requireNonNull(id, "id");
        name = name == null ? id : name;
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(oauth, "oauth");
        Objects.requireNonNull(authorizationUri, "authorizationUri");
        Objects.requireNonNull(tokenUri, "tokenUri");
        Objects.requireNonNull(deviceUri, "deviceUri");
        Objects.requireNonNull(smtp, "smtp");
        Objects.requireNonNull(imap, "imap");
        Objects.requireNonNull(pop, "pop");
        username = username == null ? "" : username.strip();
        Objects.requireNonNull(genericAddress, "genericAddress");
        Objects.requireNonNull(secretExpiry, "secretExpiry");
        transport = transport == null || transport.isBlank() ? MailTransport.SMTP : transport.strip();
        settings = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(settings == null ? Map.of() : settings));
    }

    /** A flow sending over SMTP with no transport settings (every flow before transports existed). */
    public Flow(String id, String name, FlowType type, String providerId, ProviderFields oauth,
            Optional<URI> authorizationUri, Optional<URI> tokenUri, Optional<URI> deviceUri, Optional<MailServer> smtp,
            Optional<MailServer> imap, Optional<MailServer> pop, String username, Optional<String> genericAddress,
            long attachmentLimitBytes, Optional<LocalDate> secretExpiry) {
        this(id, name, type, providerId, oauth, authorizationUri, tokenUri, deviceUri, smtp, imap, pop, username,
                genericAddress, attachmentLimitBytes, secretExpiry, MailTransport.SMTP, Map.of());
    }

    /** This flow with another transport and settings (the rest unchanged). */
    public Flow withTransport(String newTransport, Map<String, String> newSettings) {
        return new Flow(id, name, type, providerId, oauth, authorizationUri, tokenUri, deviceUri, smtp, imap, pop,
                username, genericAddress, attachmentLimitBytes, secretExpiry, newTransport, newSettings);
    }

    public boolean generic() {
        return genericAddress.isPresent();
    }

    /**
     * @return the warning to show when the client secret expires within {@link #SECRET_WARNING_DAYS} days or has
     *         expired, naming the date and what to do
     */
    public Optional<String> secretExpiryWarning(LocalDate today) {
        if (secretExpiry.isEmpty()) {
            return Optional.empty();
        }
        long days = ChronoUnit.DAYS.between(today, secretExpiry.get());
        if (days > SECRET_WARNING_DAYS) {
            return Optional.empty();
        }
        String when = days < 0 ? "expired on " + secretExpiry.get() : days == 0 ? "expires today"
                : "expires in " + days + " day" + (days == 1 ? "" : "s") + " (" + secretExpiry.get() + ")";
        return Optional.of("The client secret of flow '" + name + "' " + when + ": create a new secret in the"
                + " provider's app registration, enter it in the flow and set the new expiry date.");
    }
}
