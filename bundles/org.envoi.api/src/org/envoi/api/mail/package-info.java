/** Mail transports: servers, logins, outgoing mails and what the servers answered. */
package org.envoi.api.mail;
