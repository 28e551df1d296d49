/** Sending ERP documents as mails: the pipeline, its document renderer and the flow tester. */
package org.envoi.api.diffusion;
