package org.envoi.vault.internal;

import java.util.Base64;
import java.util.Optional;
import java.util.function.UnaryOperator;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.KeyProvider;
import org.osgi.service.component.annotations.Component;

/** Headless servers and containers: the master key in {@value #VARIABLE}, the base64 of 32 random bytes. */
@Component(service = KeyProvider.class, property = "service.ranking:Integer=300")
public final class EnvironmentKeyProvider implements KeyProvider {

    public static final String VARIABLE = "ENVOI_VAULT_KEY";

    private final UnaryOperator<String> environment;

    public EnvironmentKeyProvider() {
        this(System::getenv);
    }

    public EnvironmentKeyProvider(UnaryOperator<String> environment) {
        this.environment = environment;
    }

    @Override
    public String description() {
        return "the environment variable " + VARIABLE;
    }

    @Override
    public Optional<byte[]> masterKey() {
        String value = environment.apply(VARIABLE);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(value.strip());
        } catch (IllegalArgumentException e) {
            throw invalid("is not base64");
        }
        if (key.length != VaultCipher.KEY_BYTES) {
            throw invalid("holds " + key.length + " bytes");
        }
        return Optional.of(key);
    }

    private static EnvoiException invalid(String what) {
        return new EnvoiException(ErrorCode.VAULT_ERROR, VARIABLE + " " + what + ": it must be the base64 of 32"
                + " random bytes, for example the output of 'head -c 32 /dev/urandom | base64'");
    }
}
