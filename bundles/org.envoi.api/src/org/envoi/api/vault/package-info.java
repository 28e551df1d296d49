/** The token vault: encrypted, atomic storage of tokens and secrets, and the master-key providers. */
package org.envoi.api.vault;
