package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The write time-out timer as Angus Mail uses it: arm before a write, cancel after; a write that hangs is closed. */
class WriteDeadlinesTest {

    @Test
    void aDeadlineThatPassesRunsItsTaskOnceAndOneCancelledInTimeNever() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        ScheduledFuture<String> hung = WriteDeadlines.INSTANCE.schedule(() -> {
            ran.incrementAndGet();
            return "socket closed";
        }, 50, TimeUnit.MILLISECONDS);
        ScheduledFuture<String> inTime = WriteDeadlines.INSTANCE.schedule(() -> {
            ran.addAndGet(100);
            return "never";
        }, 50, TimeUnit.MILLISECONDS);
        // a marker due no earlier than the cancelled task: once the timer's pass that ran it is over, every task
        // due by then has run
        ScheduledFuture<String> marker = WriteDeadlines.INSTANCE.schedule(() -> "marker", 50, TimeUnit.MILLISECONDS);
        assertTrue(inTime.cancel(true), "the write ended in time");

        assertEquals("socket closed", hung.get(5, TimeUnit.SECONDS));
        assertFalse(hung.cancel(true), "too late to cancel: Angus then reports the write as timed out");
        assertEquals("marker", marker.get(5, TimeUnit.SECONDS));
        // due after the marker's pass began, so run in a later one: the marker's pass is over
        assertEquals("after", WriteDeadlines.INSTANCE.schedule(() -> "after", 1, TimeUnit.MILLISECONDS).get(5,
                TimeUnit.SECONDS));
        assertEquals(1, ran.get(), "the hung write's task ran once, the cancelled one never");
        assertTrue(hung.isDone() && !hung.isCancelled());
        assertTrue(inTime.isDone() && inTime.isCancelled());
        assertThrows(CancellationException.class, () -> inTime.get(1, TimeUnit.SECONDS));
    }
}
