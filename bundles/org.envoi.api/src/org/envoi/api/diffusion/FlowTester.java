package org.envoi.api.diffusion;

import java.time.Duration;
import java.util.List;

import org.envoi.api.Cancellation;

/**
 * "Test the service": for the signed-in operator, checks membership, the flow's data, a token, SMTP and IMAP (or POP3)
 * authentication followed by one real command (Microsoft may accept AUTH and refuse the next command), and reports
 * each step with its outcome and time. It stops at the first failing step that makes the next ones meaningless, and
 * when its caller cancels it.
 */
public interface FlowTester {

    /** One step: what was checked, whether it passed, the sentence (what failed and what to do), how long it took. */
    record Step(String name, boolean ok, String sentence, Duration took) {
    }

    /**
     * @param cancelled whether the caller cancelled it: its last step is the one that was under way (not passed), and
     *        nothing after it ran
     */
    record Report(String flowId, String operatorId, List<Step> steps, boolean cancelled) {
        public Report(String flowId, String operatorId, List<Step> steps) {
            this(flowId, operatorId, steps, false);
        }

        public boolean ok() {
            return !cancelled && !steps.isEmpty() && steps.stream().allMatch(Step::ok);
        }
    }

    /** Hears the test step by step, from the thread that runs it (a progress bar). */
    interface Listener {
        Listener NONE = new Listener() {
        };

        /** A step begins ({@code flow}, {@code membership}, {@code data}, {@code token}, {@code smtp}, {@code imap}...). */
        default void started(String step) {
        }

        default void finished(Step step) {
        }
    }

    /** The largest number of steps a test has: a progress bar's length. */
    int MAX_STEPS = 6;

    default Report test(String flowId, String operatorId) {
        return test(flowId, operatorId, Listener.NONE, new Cancellation());
    }

    /**
     * As {@link #test(String, String)}, told step by step to {@code listener}. When {@code cancel} is cancelled, the
     * connection of the step under way is closed on the wire (its socket, not only its result), no further step runs,
     * and the report says {@link Report#cancelled()}; it returns at once.
     */
    Report test(String flowId, String operatorId, Listener listener, Cancellation cancel);
}
