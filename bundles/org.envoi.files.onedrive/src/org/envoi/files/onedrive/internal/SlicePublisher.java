package org.envoi.files.onedrive.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request body published as read-only views of the fragment buffer, 64 KB at a time: the HTTP client writes them
 * as they are, where the JDK's own publishers copy every byte into fresh arrays (100 MB of garbage per 100 MB sent).
 * Each subscription (a resent request) starts again at the buffer's start. Demand is served by whichever thread
 * requests first (the usual work-in-progress counter), so onNext is never called concurrently or re-entrantly.
 */
final class SlicePublisher implements Flow.Publisher<ByteBuffer> {

    private static final int SLICE = 64 * 1024;

    private final byte[] buf;
    private final int length;

    SlicePublisher(byte[] buf, int length) {
        this.buf = buf;
        this.length = length;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        subscriber.onSubscribe(new Slices(subscriber));
    }

    private final class Slices implements Flow.Subscription {
        private final Flow.Subscriber<? super ByteBuffer> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean cancelled;
        private int position; // touched only by the thread that holds wip
        private boolean completed;

        Slices(Flow.Subscriber<? super ByteBuffer> subscriber) {
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                cancelled = true;
                subscriber.onError(new IllegalArgumentException("request(" + n + "): demand must be positive"));
                return;
            }
            demand.getAndUpdate(d -> d + n < 0 ? Long.MAX_VALUE : d + n);
            if (wip.getAndIncrement() != 0) {
                return; // the thread already serving sees the new demand
            }
            do {
                while (!cancelled && position < length && demand.get() > 0) {
                    demand.decrementAndGet();
                    int n2 = Math.min(SLICE, length - position);
                    ByteBuffer slice = ByteBuffer.wrap(buf, position, n2).slice().asReadOnlyBuffer();
                    position += n2;
                    subscriber.onNext(slice);
                }
                if (!cancelled && !completed && position >= length) {
                    completed = true;
                    subscriber.onComplete();
                }
            } while (wip.decrementAndGet() != 0);
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }
}
