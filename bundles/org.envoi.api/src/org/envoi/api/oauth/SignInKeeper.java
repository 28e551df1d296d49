package org.envoi.api.oauth;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the operators' sign-ins from lapsing unused, and says a week ahead which ones will lapse anyway and who must
 * act. A Microsoft refresh token dies after 90 days without use, a Google one after 6 months (7 days after the
 * sign-in for an app in "Testing"): the limits come from each provider ({@code MailProvider.signInLifetime}). Starts
 * no thread: a long-running process ({@code envoi serve}) calls {@link #keepAlive} every few minutes. Thread-safe.
 */
public interface SignInKeeper {

    /** How far ahead a lapse is flagged ({@link Lapse#soon()}). */
    Duration WARNING = Duration.ofDays(7);

    /**
     * Refreshes every stored sign-in whose limit counts from its last refresh once half of that limit has passed since
     * then (Microsoft: every 45 days), through the engine's single-flight refresh. A refused refresh marks that
     * sign-in {@code CONSENT_REQUIRED} as any refresh does; a network failure changes nothing and is tried again at
     * the next call; nothing is ever deleted. One sign-in's failure never stops the others'.
     */
    Report keepAlive(Instant now);

    /** For each stored sign-in of every OAuth2 flow (app-only tokens aside): when it would lapse and who must act. */
    List<Lapse> lapses(Instant now);

    /** What {@link #keepAlive} did with one sign-in. */
    enum Outcome {
        /** Refreshed now: its limit starts again. */
        REFRESHED,
        /** Refreshed recently enough (by a sender, or an earlier call). */
        NOT_DUE,
        /** Nothing to do: no limit known, a limit that refreshing does not extend, or no refresh token (app-only). */
        NOT_RENEWABLE,
        /** The provider refused the refresh, or it was refused before: the operator must sign in again. */
        CONSENT_REQUIRED,
        /** The provider could not be reached: tried again at the next call, nothing changed. */
        RETRY_LATER,
        /** Something else is wrong (the flow's client secret, a damaged entry): the sentence says what to do. */
        FAILED
    }

    /**
     * @param flowId the flow
     * @param operatorId the operator, or {@code *} for a generic flow's shared mailbox
     * @param resource {@code ""} for the flow's own sign-in, else the resource's name ({@code graph})
     * @param outcome what was done
     * @param sentence one line for the log or the administrator
     */
    record Renewal(String flowId, String operatorId, String resource, Outcome outcome, String sentence) {
        public Renewal {
            Objects.requireNonNull(flowId, "flowId");
            Objects.requireNonNull(operatorId, "operatorId");
            Objects.requireNonNull(resource, "resource");
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(sentence, "sentence");
        }
    }

    /** What one {@link #keepAlive} call did, one line per stored sign-in. */
    record Report(List<Renewal> renewals) {
        public Report {
            renewals = List.copyOf(renewals);
        }

        public List<Renewal> with(Outcome outcome) {
            return renewals.stream().filter(r -> r.outcome() == outcome).toList();
        }
    }

    /** Who must act to keep a sign-in. */
    enum Actor {
        /** Nobody: Envoi keeps it alive, or no limit is known. */
        NOBODY,
        /** The operator must sign in again (for a generic flow, someone who signs in for its shared mailbox). */
        OPERATOR
    }

    /**
     * @param flowId the flow
     * @param operatorId the operator, or {@code *} for a generic flow's shared mailbox
     * @param resource {@code ""} for the flow's own sign-in, else the resource's name
     * @param lapsesAt when it would lapse if nothing is done; empty when no limit is known, or when it has lapsed
     *        already ({@link #lapsed()})
     * @param lapsed true when the sign-in is no longer usable (the provider refused it): the operator must sign in
     * @param soon true when it has lapsed or lapses within {@link SignInKeeper#WARNING}
     * @param who who must act
     * @param sentence one line: when, who, and what to do
     */
    record Lapse(String flowId, String operatorId, String resource, Optional<Instant> lapsesAt, boolean lapsed,
            boolean soon, Actor who, String sentence) {
        public Lapse {
            Objects.requireNonNull(flowId, "flowId");
            Objects.requireNonNull(operatorId, "operatorId");
            Objects.requireNonNull(resource, "resource");
            Objects.requireNonNull(lapsesAt, "lapsesAt");
            Objects.requireNonNull(who, "who");
            Objects.requireNonNull(sentence, "sentence");
        }
    }
}
