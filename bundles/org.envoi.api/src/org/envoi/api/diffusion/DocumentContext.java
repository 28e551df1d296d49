package org.envoi.api.diffusion;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One ERP document as the mail pipeline sees it.
 *
 * @param diffusionCode the kind of document, as the ERP names it: {@code BL}, {@code FACTURE CLIENT}...
 * @param fields its values by keyword without brackets: {@code SOCIETE}, {@code ID_BL}, {@code CLIENT},
 *        {@code DATE}... The same map fills the mail's keywords.
 * @param lines its lines (may be empty)
 */
public record DocumentContext(String diffusionCode, Map<String, String> fields, List<Line> lines) {

    /** One line of a document; {@code unitPrice} is null on a delivery note. */
    public record Line(String reference, String label, BigDecimal quantity, BigDecimal unitPrice) {
        public Line {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(quantity, "quantity");
        }
    }

    public DocumentContext {
        Objects.requireNonNull(diffusionCode, "diffusionCode");
        fields = Map.copyOf(fields);
        lines = List.copyOf(lines);
    }
}
