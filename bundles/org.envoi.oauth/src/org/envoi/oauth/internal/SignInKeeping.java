package org.envoi.oauth.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.CredentialStatus.State;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.SignInLifetime;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;

/**
 * The {@link SignInKeeper} on the token engine: the stored sign-ins are the vault's token entries of each OAuth2 flow,
 * their limits the flow's provider's. A sign-in whose limit is renewed by use is refreshed once half of it has passed
 * since its last refresh: the half left is the margin for a server that was down or offline (Microsoft: refreshed
 * every 45 days, 45 days to spare), and it costs one token request per sign-in per half-limit.
 */
public final class SignInKeeping implements SignInKeeper {

    private static final Logger LOG = System.getLogger(SignInKeeping.class.getName());

    /** The OAuth client of one sign-in of a flow ({@code FlowAdmin.signInTarget}). */
    @FunctionalInterface
    public interface Clients {
        OAuthClient client(String flowId, String operatorId, String resource);
    }

    private final TokenService tokens;
    private final TokenVault vault;
    private final Supplier<List<Flow>> flows;
    private final Function<String, Optional<MailProvider>> providers;
    private final Clients clients;

    public SignInKeeping(TokenService tokens, TokenVault vault, Supplier<List<Flow>> flows,
            Function<String, Optional<MailProvider>> providers, Clients clients) {
        this.tokens = tokens;
        this.vault = vault;
        this.flows = flows;
        this.providers = providers;
        this.clients = clients;
    }

    /** One stored sign-in and its provider's limit for its flow. */
    private record SignIn(Flow flow, String operatorId, String resource, Optional<SignInLifetime> lifetime) {
        String describe() {
            return "The sign-in of flow '" + flow.id() + "', " + (operatorId.equals(VaultKey.SHARED)
                    ? "its shared mailbox" : "operator '" + operatorId + "'") + (resource.isEmpty() ? ""
                            : " to resource '" + resource + "'");
        }

        /** Who signs in again, and how. */
        String whoActs() {
            String command = "envoi authorize --operator " + (operatorId.equals(VaultKey.SHARED) ? "ID" : operatorId)
                    + (resource.isEmpty() ? "" : " --resource " + resource);
            return (operatorId.equals(VaultKey.SHARED) ? "an operator of the flow must sign in again for its shared"
                    + " mailbox" : "operator '" + operatorId + "' must sign in again") + " (" + command
                    + ", or Sign in in Flow health)";
        }
    }

    @Override
    public Report keepAlive(Instant now) {
        List<Renewal> out = new ArrayList<>();
        for (SignIn s : signIns(out)) {
            Renewal r = renew(s, now);
            out.add(r);
            switch (r.outcome()) {
                case REFRESHED -> LOG.log(Level.INFO, "Envoi kept alive: " + r.sentence());
                case CONSENT_REQUIRED, RETRY_LATER, FAILED -> LOG.log(Level.WARNING, "Envoi could not keep a"
                        + " sign-in alive: " + r.sentence());
                default -> { }
            }
        }
        return new Report(out);
    }

    private Renewal renew(SignIn s, Instant now) {
        CredentialStatus status;
        try {
            status = tokens.status(s.flow().id(), s.operatorId(), s.resource());
        } catch (EnvoiException e) { // a damaged entry: the others are still kept
            return renewal(s, Outcome.FAILED, e.getMessage());
        }
        if (status.state() == State.CONSENT_REQUIRED) {
            return renewal(s, Outcome.CONSENT_REQUIRED, s.describe() + " needs a new sign-in: " + status.reason()
                    .orElse("the provider refused it") + " " + capital(s.whoActs()) + ".");
        }
        if (status.state() == State.NONE) { // removed since the list was read
            return renewal(s, Outcome.NOT_RENEWABLE, s.describe() + " is gone.");
        }
        if (s.lifetime().isEmpty()) {
            return renewal(s, Outcome.NOT_RENEWABLE, s.describe() + ": no limit is known for provider '"
                    + s.flow().providerId() + "', so it is refreshed only when mail needs it.");
        }
        SignInLifetime life = s.lifetime().get();
        if (!life.renewedByUse()) {
            return renewal(s, Outcome.NOT_RENEWABLE, s.describe() + " lapses " + describe(life.limit())
                    + " after signing in whatever is done: refreshing would not help.");
        }
        Duration half = life.limit().dividedBy(2);
        Instant last = status.lastRefresh().orElse(Instant.EPOCH);
        Instant due = last.plus(half);
        if (due.isAfter(now)) {
            return renewal(s, Outcome.NOT_DUE, s.describe() + " was refreshed at " + time(last) + "; next at "
                    + time(due) + ".");
        }
        try {
            OAuthClient client = clients.client(s.flow().id(), s.operatorId(), s.resource());
            boolean refreshed = tokens.renew(client, s.operatorId(), now.minus(half));
            return refreshed ? renewal(s, Outcome.REFRESHED, s.describe() + " was refreshed: its " + describe(life
                    .limit()) + " start again.") : renewal(s, Outcome.NOT_DUE, s.describe()
                            + " was refreshed meanwhile.");
        } catch (EnvoiException e) {
            Outcome o = e.code() == ErrorCode.CONSENT_REQUIRED ? Outcome.CONSENT_REQUIRED
                    : e.code() == ErrorCode.OAUTH_UNAVAILABLE ? Outcome.RETRY_LATER : Outcome.FAILED;
            String then = switch (o) {
                case CONSENT_REQUIRED -> " " + capital(s.whoActs()) + ".";
                case RETRY_LATER -> " Tried again at the next pass; nothing was changed.";
                default -> "";
            };
            return renewal(s, o, s.describe() + " could not be refreshed: " + e.getMessage() + then);
        } catch (RuntimeException e) { // the flow cannot make a client any more (its data changed)...: the others go on
            return renewal(s, Outcome.FAILED, s.describe() + " could not be refreshed: " + e);
        }
    }

    @Override
    public List<Lapse> lapses(Instant now) {
        List<Lapse> out = new ArrayList<>();
        for (SignIn s : signIns(new ArrayList<>())) {
            lapse(s, now).ifPresent(out::add);
        }
        // the lapsed first, then the nearest; those without a known limit last
        out.sort(Comparator.comparing((Lapse l) -> !l.lapsed()).thenComparing(l -> l.lapsesAt().orElse(Instant.MAX)));
        return out;
    }

    private Optional<Lapse> lapse(SignIn s, Instant now) {
        CredentialStatus status;
        try {
            status = tokens.status(s.flow().id(), s.operatorId(), s.resource());
        } catch (EnvoiException e) {
            return Optional.of(lapse(s, Optional.empty(), true, true, Actor.OPERATOR, e.getMessage()));
        }
        if (status.state() == State.NONE) {
            return Optional.empty();
        }
        if (status.state() == State.CONSENT_REQUIRED) {
            return Optional.of(lapse(s, Optional.empty(), true, true, Actor.OPERATOR, s.describe() + " has lapsed ("
                    + status.reason().orElse("the provider refused it") + "): " + s.whoActs() + "."));
        }
        if (s.lifetime().isEmpty()) {
            return Optional.of(lapse(s, Optional.empty(), false, false, Actor.NOBODY, s.describe() + ": provider '"
                    + s.flow().providerId() + "' states no limit, so none is known."));
        }
        SignInLifetime life = s.lifetime().get();
        Instant from = life.renewedByUse() ? status.lastRefresh().orElse(Instant.EPOCH)
                : status.signedIn().or(status::lastRefresh).orElse(Instant.EPOCH);
        Instant at = from.plus(life.limit());
        boolean soon = !at.isAfter(now.plus(WARNING));
        String advice = life.advice().isEmpty() ? "" : " " + life.advice();
        if (!life.renewedByUse()) {
            return Optional.of(lapse(s, Optional.of(at), false, soon, Actor.OPERATOR, s.describe() + " lapses at "
                    + time(at) + ", " + describe(life.limit()) + " after signing in, whatever is done: " + s.whoActs()
                    + " then." + advice));
        }
        if (!soon) {
            return Optional.of(lapse(s, Optional.of(at), false, false, Actor.NOBODY, s.describe() + " would lapse at "
                    + time(at) + " unused; envoi serve refreshes it well before (at half its " + describe(life.limit())
                    + ")."));
        }
        return Optional.of(lapse(s, Optional.of(at), false, true, Actor.OPERATOR, s.describe() + " lapses at "
                + time(at) + " (" + describe(life.limit()) + " without use) unless Envoi refreshes it before (envoi"
                + " serve does, when it runs and reaches the provider); otherwise " + s.whoActs() + "." + advice));
    }

    /**
     * The token entries of every OAuth2 flow: each operator's, the shared mailbox's, each resource's; app-only tokens
     * aside (a new grant renews them, nobody signs in). A flow whose entries cannot be listed is reported in
     * {@code failures}.
     */
    private List<SignIn> signIns(List<Renewal> failures) {
        List<SignIn> out = new ArrayList<>();
        for (Flow f : flows.get()) {
            if (f.type() != FlowType.OAUTH2) {
                continue;
            }
            Optional<SignInLifetime> life = providers.apply(f.providerId()).flatMap(p -> p.signInLifetime(f
                    .settings()));
            List<VaultKey> keys;
            try {
                keys = vault.keys(f.id());
            } catch (EnvoiException e) {
                failures.add(new Renewal(f.id(), VaultKey.SHARED, "", Outcome.FAILED, e.getMessage()));
                continue;
            }
            keys.stream().filter(k -> k.tokensResource().isPresent()).filter(k -> !(f.oauth().appOnly() && k
                    .operatorId().equals(VaultKey.SHARED))).sorted(Comparator.comparing(VaultKey::operatorId)
                            .thenComparing(VaultKey::kind)).forEach(k -> out.add(new SignIn(f, k.operatorId(), k
                                    .tokensResource().orElseThrow(), life)));
        }
        return out;
    }

    private static Renewal renewal(SignIn s, Outcome outcome, String sentence) {
        return new Renewal(s.flow().id(), s.operatorId(), s.resource(), outcome, sentence);
    }

    private static Lapse lapse(SignIn s, Optional<Instant> at, boolean lapsed, boolean soon, Actor who,
            String sentence) {
        return new Lapse(s.flow().id(), s.operatorId(), s.resource(), at, lapsed, soon, who, sentence);
    }

    private static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** "90 days", "2 minutes": how a limit reads. */
    static String describe(Duration d) {
        if (d.toDays() >= 2 && d.equals(Duration.ofDays(d.toDays()))) {
            return d.toDays() + " days";
        }
        if (d.toHours() >= 2 && d.equals(Duration.ofHours(d.toHours()))) {
            return d.toHours() + " hours";
        }
        if (d.toMinutes() >= 2 && d.equals(Duration.ofMinutes(d.toMinutes()))) {
            return d.toMinutes() + " minutes";
        }
        return d.toSeconds() + " seconds";
    }

    private static String capital(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
