package org.envoi.oauth.tests;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Every line logged through java.util.logging while attached to the root logger, with its exception: what the
 * secrets-never-in-logs checks read.
 */
final class LogCapture extends Handler {

    final List<String> lines = new CopyOnWriteArrayList<>();

    LogCapture attach() {
        Logger.getLogger("").addHandler(this);
        return this;
    }

    void detach() {
        Logger.getLogger("").removeHandler(this);
    }

    @Override
    public void publish(LogRecord r) {
        lines.add(r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown()));
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
