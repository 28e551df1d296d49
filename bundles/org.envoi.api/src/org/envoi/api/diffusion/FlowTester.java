package org.envoi.api.diffusion;

import java.time.Duration;
import java.util.List;

/**
 * "Test the service": for the signed-in operator, checks membership, the flow's data, a token, SMTP and IMAP (or POP3)
 * authentication followed by one real command (Microsoft may accept AUTH and refuse the next command), and reports
 * each step with its outcome and time. It stops at the first failing step that makes the next ones meaningless.
 */
public interface FlowTester {

    /** One step: what was checked, whether it passed, the sentence (what failed and what to do), how long it took. */
    record Step(String name, boolean ok, String sentence, Duration took) {
    }

    record Report(String flowId, String operatorId, List<Step> steps) {
        public boolean ok() {
            return !steps.isEmpty() && steps.stream().allMatch(Step::ok);
        }
    }

    Report test(String flowId, String operatorId);
}
