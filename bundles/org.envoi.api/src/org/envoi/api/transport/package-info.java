/**
 * What happens after the token: transports that send a built mail for a flow and operator (SMTP, Microsoft Graph...),
 * mailbox readers that fetch new mail above a stored mark (IMAP, POP3, Graph delta), each registered as an OSGi
 * service by its own bundle, and the {@link org.envoi.api.transport.TransportRegistry} that follows them.
 */
package org.envoi.api.transport;
