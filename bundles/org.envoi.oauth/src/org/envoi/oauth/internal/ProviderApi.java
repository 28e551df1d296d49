package org.envoi.oauth.internal;

import org.envoi.api.oauth.OAuthClient;

import com.github.scribejava.core.builder.api.DefaultApi20;
import com.github.scribejava.core.extractors.DeviceAuthorizationJsonExtractor;
import com.github.scribejava.core.extractors.TokenExtractor;
import com.github.scribejava.core.model.OAuth2AccessToken;
import com.github.scribejava.core.oauth2.clientauthentication.ClientAuthentication;
import com.github.scribejava.core.oauth2.clientauthentication.RequestBodyAuthenticationScheme;

/** A ScribeJava API for one flow's endpoints (any provider: the endpoints come from its preset). */
final class ProviderApi extends DefaultApi20 {

    private final OAuthClient client;

    ProviderApi(OAuthClient client) {
        this.client = client;
    }

    @Override
    public String getAccessTokenEndpoint() {
        return client.tokenUri().toString();
    }

    @Override
    protected String getAuthorizationBaseUrl() {
        return client.authorizationUri().toString();
    }

    @Override
    public String getDeviceAuthorizationEndpoint() {
        return client.deviceUri().map(Object::toString).orElse(null);
    }

    /** client_id (and client_secret) in the body: works for public clients, Microsoft and Google alike. */
    @Override
    public ClientAuthentication getClientAuthentication() {
        return RequestBodyAuthenticationScheme.instance();
    }

    @Override
    public TokenExtractor<OAuth2AccessToken> getAccessTokenExtractor() {
        return TokenResponseReader.TOKENS;
    }

    @Override
    public DeviceAuthorizationJsonExtractor getDeviceAuthorizationExtractor() {
        return TokenResponseReader.DEVICE;
    }
}
