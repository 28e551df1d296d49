/**
 * The provider SPI. A provider (Microsoft 365, Google, ...) is a bundle that registers one {@link
 * org.envoi.api.provider.MailProvider} service with a {@value org.envoi.api.provider.MailProvider#PROVIDER_ID}
 * property; the core finds it through {@link org.envoi.api.provider.ProviderRegistry}.
 */
package org.envoi.api.provider;
