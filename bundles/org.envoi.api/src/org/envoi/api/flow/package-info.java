/**
 * What the administrator declares: authentication flows, operators and groups attached to them, the company, the
 * operators' e-mail settings and the mail settings per diffusion code; and the repositories that keep them (the
 * store's database by default, an ERP's own tables when it registers its own services).
 */
package org.envoi.api.flow;
