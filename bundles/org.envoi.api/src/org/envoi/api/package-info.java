/** Envoi's errors: stable codes and sentences. */
package org.envoi.api;
