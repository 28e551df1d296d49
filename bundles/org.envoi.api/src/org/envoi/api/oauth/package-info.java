/** The OAuth2 engine's API: clients, tokens, consent hosts, credential status. */
package org.envoi.api.oauth;
