package org.envoi.sandbox;

import java.text.ParseException;
import java.util.Locale;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

/**
 * Decides whether an XOAUTH2 bearer token lets a user into the sandbox's mail servers, the way a real provider's mail
 * server does: the token must be a JWT signed (RS256) by the sandbox OAuth2 server's own key, issued by the sandbox
 * issuer for the mail audience, not expired, and its {@code sub} must be the SASL user name (ignoring case).
 * Anything else (a password, a forged or altered token, another issuer's or another user's token, an expired one) is
 * refused, so that a newcomer who gets mail working in the sandbox has really exercised Envoi's OAuth2 sign-in.
 */
final class AccessTokenVerifier {

    private final ConfigurableJWTProcessor<SecurityContext> processor;

    /**
     * @param keys the issuer's public signing keys
     * @param issuer the exact {@code iss} expected
     * @param audience the {@code aud} expected
     */
    AccessTokenVerifier(JWKSet keys, String issuer, String audience) {
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(keys)));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(Set.of(audience),
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", "iat"), null);
        claims.setMaxClockSkew(0); // same machine, same clock: expired means expired
        p.setJWTClaimsSetVerifier(claims);
        processor = p;
    }

    /**
     * @param user the user name given with the token (SASL authentication identity)
     * @param token the bearer token (or whatever the client sent as a password)
     * @return whether the token is valid and for that user
     */
    boolean accepts(String user, String token) {
        if (user == null || user.isBlank() || token == null || token.isBlank()) {
            return false;
        }
        try {
            JWTClaimsSet claims = processor.process(token.trim(), null);
            String subject = claims.getSubject();
            return subject != null && subject.trim().toLowerCase(Locale.ROOT)
                    .equals(user.trim().toLowerCase(Locale.ROOT));
        } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
            return false; // not a JWT, bad signature, wrong issuer or audience, expired...
        }
    }
}
