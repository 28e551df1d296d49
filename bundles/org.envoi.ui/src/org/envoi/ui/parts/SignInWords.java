package org.envoi.ui.parts;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.Optional;

import org.envoi.api.oauth.CredentialStatus;

/**
 * A sign-in's state as a sentence for the person who must act, in the user's language, with times in their locale
 * and time zone ("Signed in until 14:32", "Nobody has signed in yet: click Sign in"), never an enum's name.
 */
public final class SignInWords {

    private final Messages m;
    private final ZoneId zone;

    public SignInWords(Messages m, ZoneId zone) {
        this.m = m;
        this.zone = zone;
    }

    /** @param lapsesAt when the sign-in lapses unless used (the keeper's figure), if known */
    public String sentence(CredentialStatus s, Optional<Instant> lapsesAt, Instant now) {
        String said = switch (s.state()) {
            case NONE -> m.get("signin.state.none");
            case VALID -> s.accessTokenExpiresAt().filter(now::isBefore).map(t -> m.get("signin.state.valid", time(t,
                    now))).orElse(m.get("signin.state.renew"));
            case CONSENT_REQUIRED -> s.reason().filter(r -> !r.isBlank()).map(r -> m.get("signin.state.consent",
                    trimmed(r))).orElse(m.get("signin.state.consentNoReason"));
        };
        if (s.state() == CredentialStatus.State.VALID && lapsesAt.isPresent()) {
            said += " " + m.get("signin.state.lapses", DateTimeFormatter.ofLocalizedDate(FormatStyle.LONG).withLocale(m
                    .locale()).format(lapsesAt.get().atZone(zone)));
        }
        return said;
    }

    /** The sentence for an operator of {@code flow} (null: no flow), as Flow health says it, without the lapse. */
    public String of(org.envoi.api.flow.Flow flow, String operatorId, org.envoi.api.oauth.TokenService tokens,
            Instant now) {
        if (flow == null) {
            return noFlow();
        }
        if (flow.type() == org.envoi.api.flow.FlowType.BASIC) {
            return m.get("signin.state.password");
        }
        try {
            return sentence(tokens.status(flow.id(), flow.generic() ? org.envoi.api.vault.VaultKey.SHARED
                    : operatorId), Optional.empty(), now);
        } catch (org.envoi.api.EnvoiException e) {
            return e.toString(); // a vault that cannot be opened: its own sentence, with what to do
        }
    }

    public String noFlow() {
        return m.get("signin.state.noFlow");
    }

    /** The time alone today ("14:32"), with its date otherwise. */
    String time(Instant t, Instant now) {
        boolean today = LocalDate.ofInstant(t, zone).equals(LocalDate.ofInstant(now, zone));
        DateTimeFormatter f = today ? DateTimeFormatter.ofLocalizedTime(FormatStyle.SHORT)
                : DateTimeFormatter.ofLocalizedDateTime(FormatStyle.SHORT);
        return f.withLocale(m.locale()).format(t.atZone(zone));
    }

    private static String trimmed(String reason) {
        String r = reason.strip();
        return r.endsWith(".") ? r.substring(0, r.length() - 1) : r;
    }
}
