/**
 * Where documents go besides the mail: file stores (OneDrive, SharePoint, Google Drive...) that keep a copy of a
 * document and give a sharing link for a file too big to attach. Each is an OSGi service of its own bundle.
 */
package org.envoi.api.files;
