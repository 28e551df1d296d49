package org.envoi.oauth.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.AuthorizationResponse;
import org.envoi.api.oauth.ClientBinding;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentSession;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.CredentialStatus.State;
import org.envoi.api.oauth.DeviceCodePrompt;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.oauth.TokenSet;
import org.envoi.api.provider.EndpointRule;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;

import com.github.scribejava.core.builder.ServiceBuilder;
import com.github.scribejava.core.httpclient.jdk.JDKHttpClient;
import com.github.scribejava.core.httpclient.jdk.JDKHttpClientConfig;
import com.github.scribejava.core.model.DeviceAuthorization;
import com.github.scribejava.core.model.OAuth2AccessToken;
import com.github.scribejava.core.oauth.AccessTokenRequestParams;
import com.github.scribejava.core.oauth.AuthorizationUrlBuilder;
import com.github.scribejava.core.oauth.OAuth20Service;
import com.github.scribejava.core.pkce.PKCECodeChallengeMethod;

/**
 * The OAuth2 engine on ScribeJava. The vault is the truth: a refresh re-reads it under the credential's lock (another
 * desk or process may have rotated the refresh token), and the new tokens are written to it before the access token
 * leaves this class.
 */
public final class OAuthEngine implements TokenService {

    private static final Logger LOG = System.getLogger(OAuthEngine.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final TokenVault vault;
    private final Function<String, Optional<MailProvider>> providers;
    private final OAuthOptions options;
    private final Clock clock;
    private final Sleeper sleeper;
    private final ConcurrentHashMap<VaultKey, StoredCredential> cache = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<VaultKey, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final AtomicLong tokenRequests = new AtomicLong();

    /** Waits between retries; replaceable so that tests of back-off do not sleep for real. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    public OAuthEngine(TokenVault vault, Function<String, Optional<MailProvider>> providers, OAuthOptions options,
            Clock clock, Sleeper sleeper) {
        this.vault = vault;
        this.providers = providers;
        this.options = options;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** Requests sent to token and device endpoints since start: the single-flight benchmark reads it. */
    public long tokenRequests() {
        return tokenRequests.get();
    }

    // ---------------------------------------------------------------- consent flows

    @Override
    public TokenSet authorize(OAuthClient client, String operatorId, ConsentHandler consent, Duration timeout) {
        VaultKey key = tokensOf(client, operatorId);
        String secret = clientSecret(client);
        try (ConsentSession session = consent.open(client.redirectUri())) {
            OAuth20Service service = service(client, secret, session.redirectUri());
            String state = randomToken();
            AuthorizationUrlBuilder url = service.createAuthorizationUrlBuilder().state(state).initPKCE()
                    .additionalParams(client.authorizationParameters());
            if (url.getPkce().getCodeChallengeMethod() != PKCECodeChallengeMethod.S256) {
                throw new IllegalStateException("PKCE must use S256");
            }
            AuthorizationResponse answer = session.await(URI.create(url.build()), state, timeout);
            if (!state.equals(answer.state())) {
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The sign-in answer does not carry the state of the"
                        + " request Envoi made (a forged or stale redirect): nothing was stored; sign in again.");
            }
            if (answer.error().isPresent()) {
                throw failure(client, answer.error().get(), answer.errorDescription().orElse(null), "sign-in");
            }
            String code = answer.code().orElseThrow(() -> new EnvoiException(ErrorCode.OAUTH_FAILED,
                    "The provider redirected without a code or an error: sign in again."));
            String verifier = url.getPkce().getCodeVerifier();
            // a code is single-use: no retry here, a failure means signing in again
            OAuth2AccessToken token = call(client, () -> service
                    .getAccessToken(AccessTokenRequestParams.create(code).pkceCodeVerifier(verifier)), 1);
            notCancelled();
            return store(key, toTokenSet(token, Optional.empty(), client), "consent", client);
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.OAUTH_FAILED, null, "Envoi could not start the sign-in: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public TokenSet authorizeWithDeviceCode(OAuthClient client, String operatorId, DeviceCodePrompt prompt,
            Duration timeout) {
        if (client.deviceUri().isEmpty()) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "deviceUri", "This provider has no device-code"
                    + " sign-in: use the browser (loopback) or print consent instead.", null);
        }
        OAuth20Service service = service(client, clientSecret(client), null);
        DeviceAuthorization device = call(client, () -> service.getDeviceAuthorizationCodes(), options.attempts());
        Duration expiresIn = Duration.ofSeconds(device.getExpiresInSeconds());
        prompt.show(device.getUserCode(), URI.create(device.getVerificationUri()),
                Optional.ofNullable(device.getVerificationUriComplete()).map(URI::create), expiresIn);
        boolean codeExpires = expiresIn.compareTo(timeout) <= 0;
        Duration limit = codeExpires ? expiresIn : timeout;
        Instant deadline = clock.instant().plus(limit);
        Duration interval = Duration.ofSeconds(Math.max(1, device.getIntervalSeconds()));
        while (true) {
            Duration left = Duration.between(clock.instant(), deadline);
            if (left.isNegative() || left.isZero()) {
                throw new EnvoiException(ErrorCode.CONSENT_REQUIRED, "The device sign-in was not finished within "
                        + TimeLimit.describe(limit) + (codeExpires ? ", when its code expired" : ", its time limit")
                        + ": start again.");
            }
            // never past the deadline: the last poll comes at it, not one interval after it
            pause(interval.compareTo(left) < 0 ? interval : left);
            try {
                tokenRequests.incrementAndGet();
                OAuth2AccessToken token = service.getAccessTokenDeviceAuthorizationGrant(device);
                notCancelled();
                return store(tokensOf(client, operatorId), toTokenSet(token, Optional.empty(), client),
                        "device code", client);
            } catch (TokenEndpointError e) {
                if ("authorization_pending".equals(e.error)) {
                    continue;
                }
                if ("slow_down".equals(e.error)) {
                    interval = interval.plusSeconds(5); // RFC 8628 section 3.5
                    continue;
                }
                if (e.transient_()) {
                    continue;
                }
                throw failure(client, e, "device sign-in");
            } catch (IOException | ExecutionException e) {
                LOG.log(Level.WARNING, "Envoi device-code poll failed (" + e.getClass().getSimpleName()
                        + "); polling again");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The device sign-in was cancelled.");
            }
        }
    }

    @Override
    public TokenSet clientCredentials(OAuthClient client) {
        VaultKey key = tokensOf(client, VaultKey.SHARED);
        ReentrantLock lock = lockOf(key);
        lock.lock();
        try {
            return clientCredentialsLocked(client, key);
        } finally {
            lock.unlock();
        }
    }

    private TokenSet clientCredentialsLocked(OAuthClient client, VaultKey key) {
        OAuth20Service service = service(client, clientSecret(client), null);
        OAuth2AccessToken token = call(client,
                () -> service.getAccessTokenClientCredentialsGrant(String.join(" ", client.scopes())),
                options.attempts());
        return store(key, toTokenSet(token, Optional.empty(), client), "client credentials", client);
    }

    // ---------------------------------------------------------------- silent refresh

    @Override
    public String accessToken(OAuthClient client, String operatorId) {
        VaultKey key = tokensOf(client, operatorId);
        StoredCredential cached = cache.get(key);
        if (cached != null && cached.state() == State.VALID && cached.binding().equals(Optional.of(ClientBinding.of(
                client))) && cached.tokens().validAt(clock.instant(), options.refreshSkew())) {
            return cached.tokens().accessToken();
        }
        ReentrantLock lock = lockOf(key);
        lock.lock();
        try {
            // the vault's lock spans processes (a shared database): one refresh for all desks
            return vault.withLock(key, () -> accessTokenLocked(client, key, operatorId));
        } finally {
            lock.unlock();
        }
    }

    private String accessTokenLocked(OAuthClient client, VaultKey key, String operatorId) {
        // whoever held the lock before may have refreshed; the vault may also hold another process's refresh
        StoredCredential current = load(key).orElseThrow(() -> new EnvoiException(ErrorCode.CONSENT_REQUIRED,
                "Nobody has signed in for flow '" + client.flowId() + "' as " + who(operatorId) + which(key)
                        + " yet: sign in once in the browser."));
        ClientBinding now = ClientBinding.of(client);
        if (current.binding().isEmpty()) {
            // written before bindings existed: it belongs to the endpoint the flow has now
            current = current.withBinding(now);
            vault.write(key, current.toJson());
        } else if (!current.binding().get().equals(now)) {
            if (appOnly(key, current)) {
                // nobody signs in for app-only access: a new grant, with a secret entered for this endpoint
                return clientCredentialsLocked(client, key).accessToken();
            }
            String reason = changedReason(key, current.binding().get(), now);
            if (current.state() == State.CONSENT_REQUIRED && current.reason().equals(Optional.of(reason))) {
                throw new EnvoiException(ErrorCode.CONSENT_REQUIRED, reason);
            }
            throw consentRequired(key, current, reason);
        }
        if (current.state() == State.CONSENT_REQUIRED) {
            throw new EnvoiException(ErrorCode.CONSENT_REQUIRED, current.reason().orElse("Sign in again."));
        }
        if (current.tokens().validAt(clock.instant(), options.refreshSkew())) {
            cache.put(key, current);
            return current.tokens().accessToken();
        }
        if (current.tokens().refreshToken().isEmpty()) {
            if (VaultKey.SHARED.equals(operatorId)) {
                return clientCredentialsLocked(client, key).accessToken();
            }
            throw consentRequired(key, current, "The provider gave no refresh token, so Envoi cannot renew the"
                    + " access silently: sign in again (and check that the flow asks for offline access).");
        }
        return refresh(client, key, current).accessToken();
    }

    @Override
    public boolean renew(OAuthClient client, String operatorId, Instant refreshedBefore) {
        VaultKey key = tokensOf(client, operatorId);
        ReentrantLock lock = lockOf(key);
        lock.lock();
        try {
            return vault.withLock(key, () -> renewLocked(client, key, operatorId, refreshedBefore));
        } finally {
            lock.unlock();
        }
    }

    private boolean renewLocked(OAuthClient client, VaultKey key, String operatorId, Instant refreshedBefore) {
        Optional<StoredCredential> stored = load(key);
        if (stored.isEmpty() || stored.get().state() != State.VALID
                || !stored.get().binding().equals(Optional.of(ClientBinding.of(client)))) {
            // nobody signed in, consent required, another endpoint, or bound on first use: the checks of a send
            Optional<Instant> before = stored.map(StoredCredential::lastRefresh);
            accessTokenLocked(client, key, operatorId);
            stored = load(key);
            if (!stored.map(StoredCredential::lastRefresh).equals(before)) {
                return true; // those checks refreshed it already (an expired access token)
            }
        }
        StoredCredential current = stored.orElseThrow();
        if (current.lastRefresh().isAfter(refreshedBefore) || current.tokens().refreshToken().isEmpty()) {
            return false; // refreshed since (a sender, another desk), or app-only: nothing to keep alive
        }
        refresh(client, key, current);
        return true;
    }

    private TokenSet refresh(OAuthClient client, VaultKey key, StoredCredential current) {
        String refreshToken = current.tokens().refreshToken().orElseThrow();
        OAuth20Service service = service(client, clientSecret(client), null);
        OAuth2AccessToken token;
        try {
            token = call(client, () -> service.refreshAccessToken(refreshToken), options.attempts());
        } catch (EnvoiException e) {
            if (e.code() == ErrorCode.CONSENT_REQUIRED) {
                // the refresh token is dead: say so, keep everything else (scopes, expiry, other entries) as it was
                throw consentRequired(key, current, e.getMessage());
            }
            throw e;
        }
        // providers that do not rotate send no refresh token: keep the one we have
        TokenSet fresh = toTokenSet(token, current.tokens().refreshToken(), client);
        if (fresh.refreshToken().isPresent() && !fresh.refreshToken().equals(current.tokens().refreshToken())) {
            LOG.log(Level.DEBUG, "Envoi stored the rotated refresh token of " + describe(key));
        }
        return store(key, fresh, "refresh", client, current.signedIn());
    }

    private EnvoiException consentRequired(VaultKey key, StoredCredential current, String reason) {
        StoredCredential marked = current.withState(State.CONSENT_REQUIRED, reason);
        vault.write(key, marked.toJson());
        cache.remove(key);
        LOG.log(Level.WARNING, "Envoi needs a new consent for " + describe(key) + ": " + reason);
        return new EnvoiException(ErrorCode.CONSENT_REQUIRED, reason);
    }

    @Override
    public void reject(OAuthClient client, String operatorId, String rejectedAccessToken) {
        VaultKey key = tokensOf(client, operatorId);
        ReentrantLock lock = lockOf(key);
        lock.lock();
        try {
            cache.remove(key);
            load(key).filter(c -> c.tokens().accessToken().equals(rejectedAccessToken))
                    .ifPresent(c -> vault.write(key, c.withAccessExpired().toJson()));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public CredentialStatus status(String flowId, String operatorId, String resource) {
        return load(VaultKey.tokens(flowId, operatorId, resource)).map(StoredCredential::status)
                .orElse(new CredentialStatus(State.NONE, Optional.empty(), Optional.empty(), Optional.empty()));
    }

    @Override
    public List<String> resources(String flowId, String operatorId) {
        return signIns(flowId, operatorId).stream().map(k -> k.tokensResource().orElseThrow()).sorted().toList();
    }

    @Override
    public boolean signOut(String flowId, String operatorId) {
        boolean any = false;
        for (VaultKey key : signIns(flowId, operatorId)) {
            ReentrantLock lock = lockOf(key);
            lock.lock();
            try {
                // under the vault's lock too: a refresh running elsewhere must not write the entry back
                any |= vault.withLock(key, () -> vault.delete(key));
            } finally {
                cache.remove(key);
                lock.unlock();
            }
        }
        if (any) {
            LOG.log(Level.INFO, "Envoi forgot the sign-ins of flow '" + flowId + "', " + who(operatorId));
        }
        return any;
    }

    /** The operator's token entries in the flow, one per resource signed in to. */
    private List<VaultKey> signIns(String flowId, String operatorId) {
        return vault.keys(flowId).stream().filter(k -> k.operatorId().equals(operatorId)
                && k.tokensResource().isPresent()).toList();
    }

    @Override
    public void clientChanged(OAuthClient previous, OAuthClient current) {
        ClientBinding before = ClientBinding.of(previous);
        ClientBinding after = ClientBinding.of(current);
        if (before.equals(after)) {
            return;
        }
        String flowId = current.flowId();
        // a secret from before bindings was entered for the previous endpoint: say so before the flow changes
        VaultKey bindingKey = VaultKey.clientBinding(flowId);
        if (vault.read(VaultKey.clientSecret(flowId)).isPresent() && vault.read(bindingKey).isEmpty()) {
            vault.write(bindingKey, before.encode());
        }
        for (VaultKey key : vault.keys(flowId)) {
            if (key.tokensResource().isEmpty()) { // every resource's sign-in was granted by this client
                continue;
            }
            ReentrantLock lock = lockOf(key);
            lock.lock();
            try {
                vault.withLock(key, () -> {
                    markChanged(key, before, after);
                    return null;
                });
            } catch (EnvoiException e) {
                // an entry that cannot be read cannot be sent either; the others are still marked
                LOG.log(Level.WARNING, "Envoi could not mark the sign-in of " + describe(key) + ": " + e.getMessage());
            } finally {
                cache.remove(key);
                lock.unlock();
            }
        }
    }

    private void markChanged(VaultKey key, ClientBinding before, ClientBinding after) {
        load(key).ifPresent(c -> {
            ClientBinding granted = c.binding().orElse(before);
            if (granted.equals(after) || appOnly(key, c)) { // granted there already (a change undone), or app-only
                if (c.binding().isEmpty()) {
                    vault.write(key, c.withBinding(granted).toJson());
                }
                return;
            }
            String reason = changedReason(key, granted, after);
            vault.write(key, c.withBinding(granted).withState(State.CONSENT_REQUIRED, reason).toJson());
            LOG.log(Level.WARNING, "Envoi needs a new consent for " + describe(key) + ": " + reason);
        });
    }

    // ---------------------------------------------------------------- plumbing

    /** Stores tokens just granted by a sign-in (or an app-only grant): its time is the sign-in's. */
    /**
     * A sign-in its operator cancelled (the desktop's Cancel, {@link org.envoi.api.Cancellation}) stores nothing of what
     * its exchange brought; the sign-in stored before stays. Only for consents: a refresh's rotated token is always
     * kept, or the sign-in would be lost.
     */
    private static void notCancelled() {
        if (org.envoi.api.Cancellation.current().filter(org.envoi.api.Cancellation::isCancelled).isPresent()) {
            throw new EnvoiException(ErrorCode.OAUTH_FAILED, "The sign-in was cancelled: nothing was stored.");
        }
    }

    private TokenSet store(VaultKey key, TokenSet tokens, String how, OAuthClient client) {
        return store(key, tokens, how, client, clock.instant());
    }

    private TokenSet store(VaultKey key, TokenSet tokens, String how, OAuthClient client, Instant signedIn) {
        StoredCredential c = new StoredCredential(tokens, State.VALID, Optional.empty(), clock.instant(),
                Optional.of(ClientBinding.of(client)), signedIn);
        vault.write(key, c.toJson()); // before anyone gets the access token
        cache.put(key, c);
        LOG.log(Level.INFO, "Envoi obtained tokens by " + how + " for " + describe(key) + ", valid until "
                + tokens.expiresAt());
        return tokens;
    }

    private Optional<StoredCredential> load(VaultKey key) {
        return vault.read(key).map(json -> {
            try {
                return StoredCredential.fromJson(json);
            } catch (IOException | RuntimeException e) {
                throw new EnvoiException(ErrorCode.VAULT_ERROR, "The stored sign-in of " + describe(key)
                        + " cannot be read (" + e.getClass().getSimpleName() + "): sign in again to replace it.");
            }
        });
    }

    private TokenSet toTokenSet(OAuth2AccessToken t, Optional<String> previousRefresh, OAuthClient client) {
        Instant expires = clock.instant().plusSeconds(t.getExpiresIn() == null ? 3600 : t.getExpiresIn());
        List<String> scopes = t.getScope() == null || t.getScope().isBlank() ? client.scopes()
                : Arrays.asList(t.getScope().trim().split("\\s+"));
        Optional<String> refresh = Optional.ofNullable(t.getRefreshToken()).filter(s -> !s.isEmpty())
                .or(() -> previousRefresh);
        return new TokenSet(t.getAccessToken(), refresh, expires, scopes);
    }

    private String clientSecret(OAuthClient client) {
        if (!client.confidential()) {
            return null;
        }
        String secret = vault.read(VaultKey.clientSecret(client.flowId())).orElseThrow(() -> new EnvoiException(
                ErrorCode.INVALID_FLOW_DATA, "clientSecret", "The client secret of flow '" + client.flowId()
                        + "' is not set: enter it in the flow (it is stored encrypted).", null));
        ClientBinding now = ClientBinding.of(client);
        VaultKey bindingKey = VaultKey.clientBinding(client.flowId());
        Optional<String> stored = vault.read(bindingKey);
        if (stored.isEmpty()) {
            // entered before bindings existed: it belongs to the client and endpoint the flow has now
            vault.write(bindingKey, now.encode());
            return secret;
        }
        Optional<ClientBinding> bound = ClientBinding.decode(stored.get());
        if (!bound.equals(Optional.of(now))) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "clientSecret", "The client secret of flow '"
                    + client.flowId() + "' was entered for another endpoint: " + bound.map(b -> b.changeTo(now))
                            .orElse("its binding cannot be read") + ". It was not sent: enter the secret again in"
                    + " the flow.", null);
        }
        return secret;
    }

    /** A client-credentials token: renewed by a new grant, never by a sign-in. */
    private static boolean appOnly(VaultKey key, StoredCredential c) {
        return VaultKey.SHARED.equals(key.operatorId()) && c.tokens().refreshToken().isEmpty();
    }

    private static String changedReason(VaultKey key, ClientBinding granted, ClientBinding now) {
        return "The sign-in of " + describe(key) + " was granted for another endpoint: " + granted.changeTo(now)
                + ". Its tokens were not sent there: sign in again.";
    }

    private OAuth20Service service(OAuthClient client, String secret, URI redirect) {
        // the same rule as flow validation, here too: a flow stored before it, or by an ERP's own repository
        checkEndpoint(client, "authorizationUri", client.authorizationUri());
        checkEndpoint(client, "tokenUri", client.tokenUri());
        client.deviceUri().ifPresent(d -> checkEndpoint(client, "deviceUri", d));
        int timeout = (int) options.httpTimeout().toMillis();
        // the HTTP client is given, not found: ScribeJava's ServiceLoader lookup depends on the thread's context class
        // loader, which inside OSGi may see no provider at all
        JDKHttpClientConfig http = new JDKHttpClientConfig().withConnectTimeout(timeout).withReadTimeout(timeout);
        ServiceBuilder b = new ServiceBuilder(client.clientId()).httpClientConfig(http)
                .httpClient(new JDKHttpClient(http));
        if (secret != null) {
            b.apiSecret(secret);
        }
        if (redirect != null) {
            b.callback(redirect.toString());
        }
        if (!client.scopes().isEmpty()) {
            b.defaultScope(String.join(" ", client.scopes()));
        }
        return b.build(new ProviderApi(client));
    }

    private static void checkEndpoint(OAuthClient client, String field, URI uri) {
        EndpointRule.problem(uri).ifPresent(p -> {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, field, "The flow '" + client.flowId() + "' cannot"
                    + " be used: " + field + ": " + p + ". Nothing was sent.", null);
        });
    }

    @FunctionalInterface
    private interface Request<T> {
        T send() throws IOException, InterruptedException, ExecutionException;
    }

    /** Sends a token request, retrying transient failures with exponential back-off; maps every failure. */
    private <T> T call(OAuthClient client, Request<T> request, int attempts) {
        Duration backoff = options.firstBackoff();
        String lastProblem = "";
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                tokenRequests.incrementAndGet();
                return request.send();
            } catch (TokenEndpointError e) {
                if (!e.transient_()) {
                    throw failure(client, e, "token request");
                }
                lastProblem = "HTTP " + e.status + (e.error == null ? "" : " " + e.error);
            } catch (IOException e) {
                lastProblem = e.getClass().getSimpleName();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TokenEndpointError t && !t.transient_()) {
                    throw failure(client, t, "token request");
                }
                lastProblem = e.getCause() == null ? "ExecutionException" : e.getCause().getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EnvoiException(ErrorCode.OAUTH_UNAVAILABLE, "The token request was interrupted; nothing"
                        + " was changed.");
            }
            if (attempt < attempts) {
                LOG.log(Level.WARNING, "Envoi token request to " + client.tokenUri().getHost() + " failed ("
                        + lastProblem + "), attempt " + attempt + " of " + attempts + "; retrying in " + backoff);
                pause(backoff);
                backoff = backoff.multipliedBy(2).compareTo(options.maxBackoff()) > 0 ? options.maxBackoff()
                        : backoff.multipliedBy(2);
            }
        }
        throw new EnvoiException(ErrorCode.OAUTH_UNAVAILABLE, "The token endpoint of "
                + client.tokenUri().getHost() + " could not be reached (" + lastProblem + ") after " + attempts
                + " attempts. Nothing was deleted: Envoi will try again; check the network or the provider's status.");
    }

    /** A token endpoint's refusal; a refused client authentication names the client secret. */
    private EnvoiException failure(OAuthClient client, TokenEndpointError e, String during) {
        // RFC 6749 5.2: a failed client authentication is invalid_client, answered 401 when the client sent
        // credentials; Keycloak says unauthorized_client with its 401. A provider's own code (AADSTS7000215...)
        // explains more than this does.
        String code = e.error == null ? "" : e.error.strip();
        if ((e.status == 401 || "invalid_client".equals(code))
                && explain(client, e.error, e.description).code().equalsIgnoreCase(code)) {
            return clientRefused(client, e.description);
        }
        return failure(client, e.error, e.description, during);
    }

    private EnvoiException clientRefused(OAuthClient client, String description) {
        String detail = description == null || description.isBlank() ? "" : " (" + oneLine(description) + ")";
        String what = client.confidential()
                ? "refused the client secret of flow '" + client.flowId() + "' (client ID '" + client.clientId() + "')"
                        + detail + ": enter the client's current secret in the flow (a new one if it was renewed or"
                        + " has expired), and check the client ID."
                : "refused client ID '" + client.clientId() + "' of flow '" + client.flowId() + "', sent without a"
                        + " client secret" + detail + ": if the app registration has a client secret, enter it in the"
                        + " flow; else check the client ID.";
        return new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "clientSecret", "The token endpoint of "
                + client.tokenUri().getHost() + " " + what + " Nothing stored was changed.", null);
    }

    private static String oneLine(String text) {
        String s = text.replaceAll("[\\p{Cntrl}]+", " ").strip();
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }

    private ProviderError explain(OAuthClient client, String error, String description) {
        return providers.apply(client.providerId()).map(p -> p.explain(error, description))
                .orElseGet(() -> ProviderError.standard(error, description));
    }

    /** A provider error as the operator should read it, with the provider's own explanation when it has one. */
    private EnvoiException failure(OAuthClient client, String error, String description, String during) {
        ProviderError explained = explain(client, error, description);
        return switch (explained.kind()) {
            case CONSENT_REQUIRED -> new EnvoiException(ErrorCode.CONSENT_REQUIRED, explained.sentence());
            case CONFIGURATION -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA, explained.field().orElse(null),
                    explained.sentence(), null);
            case TRANSIENT -> new EnvoiException(ErrorCode.OAUTH_UNAVAILABLE, explained.sentence());
            case UNKNOWN -> new EnvoiException(ErrorCode.OAUTH_FAILED, "The " + during + " failed: "
                    + explained.sentence());
        };
    }

    private void pause(Duration d) {
        try {
            sleeper.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvoiException(ErrorCode.OAUTH_FAILED, "Interrupted while waiting for the provider.");
        }
    }

    private ReentrantLock lockOf(VaultKey key) {
        return locks.computeIfAbsent(key, k -> new ReentrantLock());
    }

    private static String randomToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String who(String operatorId) {
        return VaultKey.SHARED.equals(operatorId) ? "the shared mailbox" : "operator '" + operatorId + "'";
    }

    private static String describe(VaultKey key) {
        return "flow '" + key.flowId() + "', " + who(key.operatorId()) + which(key);
    }

    /** Names the resource of a sign-in other than the flow's own. */
    private static String which(VaultKey key) {
        String resource = key.tokensResource().orElse("");
        return resource.isEmpty() ? "" : " for resource '" + resource + "'";
    }

    /** One token set per flow, operator and resource: Microsoft grants no token for scopes of two resources. */
    private static VaultKey tokensOf(OAuthClient client, String operatorId) {
        return VaultKey.tokens(client.flowId(), operatorId, client.resource());
    }

}
