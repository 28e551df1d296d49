package org.envoi.mail.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The timer behind Angus Mail's write time-out ({@code mail.<protocol>.writetimeout}), given to it as
 * {@code mail.<protocol>.executor.writetimeout}. Angus arms a task before every write to the socket (the task closes
 * the socket) and cancels it after the write. Its own executor, a {@code ScheduledThreadPoolExecutor}, queues each task
 * and wakes its thread: about twenty times for a mail with a 100 KB attachment, a measurable share of a sender's CPU.
 * Here arming a task puts it in a set and cancelling takes it out, with no thread woken; one daemon thread looks at the
 * set every {@link #TICK_MS} ms and runs the tasks whose time has come. A time-out fires up to one tick late: nothing
 * for time-outs of seconds. The thread ends after a minute without armed tasks and comes back with the next one.
 */
final class WriteDeadlines extends AbstractExecutorService implements ScheduledExecutorService {

    static final WriteDeadlines INSTANCE = new WriteDeadlines();

    static final long TICK_MS = 100;
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Set<Deadline<?>> armed = ConcurrentHashMap.newKeySet();
    private Thread watcher;

    private WriteDeadlines() {
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> task, long delay, TimeUnit unit) {
        Deadline<V> d = new Deadline<>(task, System.nanoTime() + unit.toNanos(delay));
        armed.add(d);
        synchronized (this) { // uncontended: one lock per write, no hand-off
            if (watcher == null) {
                watcher = new Thread(this::watch, "envoi-mail-write-timeouts");
                watcher.setDaemon(true);
                watcher.start();
            }
        }
        return d;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return schedule(Executors.callable(task), delay, unit);
    }

    private void watch() {
        long idleSince = System.nanoTime();
        while (true) {
            try {
                Thread.sleep(TICK_MS);
            } catch (InterruptedException e) {
                // a daemon of the JVM's lifetime: nothing asks it to stop
            }
            long now = System.nanoTime();
            for (Deadline<?> d : armed) {
                if (now - d.at >= 0) {
                    d.fire();
                }
            }
            if (!armed.isEmpty()) {
                idleSince = now;
                continue;
            }
            if (now - idleSince > IDLE_NANOS) {
                synchronized (this) {
                    if (armed.isEmpty()) { // schedule() adds before it looks for this thread, under the same lock
                        watcher = null;
                        return;
                    }
                }
            }
        }
    }

    /** One armed write: NEW, then CANCELLED (the write ended in time) or RUNNING and DONE (it did not). */
    private final class Deadline<V> implements ScheduledFuture<V> {
        private static final int NEW = 0;
        private static final int RUNNING = 1;
        private static final int DONE = 2;
        private static final int CANCELLED = 3;

        private final Callable<V> task;
        final long at;
        private final AtomicInteger state = new AtomicInteger(NEW);
        private V result;
        private Throwable failure;

        Deadline(Callable<V> task, long at) {
            this.task = task;
            this.at = at;
        }

        void fire() {
            if (!state.compareAndSet(NEW, RUNNING)) {
                return;
            }
            armed.remove(this);
            try {
                result = task.call();
            } catch (Throwable t) {
                failure = t;
            }
            synchronized (this) {
                state.set(DONE);
                notifyAll();
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (state.compareAndSet(NEW, CANCELLED)) {
                armed.remove(this);
                synchronized (this) {
                    notifyAll(); // a get() waiting on it ends with CancellationException
                }
                return true;
            }
            return false;
        }

        @Override
        public boolean isCancelled() {
            return state.get() == CANCELLED;
        }

        @Override
        public boolean isDone() {
            return state.get() >= DONE;
        }

        @Override
        public V get() throws InterruptedException, ExecutionException {
            try {
                return get(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            long end = System.nanoTime() + Math.min(unit.toNanos(timeout), Long.MAX_VALUE / 2);
            synchronized (this) {
                while (state.get() < DONE) {
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException();
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
            if (state.get() == CANCELLED) {
                throw new CancellationException();
            }
            if (failure != null) {
                throw new ExecutionException(failure);
            }
            return result;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }
    }

    // Angus uses schedule() only; the rest of the interface is not for this timer.

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException("write deadlines are one-shot");
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("write deadlines are one-shot");
    }

    @Override
    public void execute(Runnable command) {
        throw new UnsupportedOperationException("write deadlines only run time-outs");
    }

    /** Shared by every mail session: never shut down (Angus shuts down only the executors it made). */
    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return false;
    }
}
