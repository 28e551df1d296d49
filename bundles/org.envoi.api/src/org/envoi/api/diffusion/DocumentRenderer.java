package org.envoi.api.diffusion;

/**
 * Turns an ERP document (delivery note, invoice...) into the PDF that goes with its mail. An ERP that prints its own
 * documents registers its renderer as a service with a higher ranking.
 */
public interface DocumentRenderer {

    /**
     * @return the PDF bytes
     * @throws IllegalArgumentException naming the missing field when the document cannot be rendered
     */
    byte[] render(DocumentContext document);
}
