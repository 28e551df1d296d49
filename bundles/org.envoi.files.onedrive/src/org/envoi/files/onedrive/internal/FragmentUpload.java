package org.envoi.files.onedrive.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The bytes of one upload session (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession), sent
 * in order in fragments of {@value #FRAGMENT} bytes (32 x 320 KiB: a multiple of 320 KiB and under 60 MiB, as Graph
 * demands), read from the content stream into one buffer of that size: the file is never held whole.
 * <p>
 * After a cut (an IOException mid-fragment, a 416 or a 5xx) it asks the session where to go on ({@code GET uploadUrl},
 * {@code nextExpectedRanges}) and resends from there. The stream cannot rewind, so the buffer keeps the fragment in
 * flight until the server has acknowledged it: the server drops the bytes of a request that did not complete, and
 * wherever it says to resume is inside that buffer. A fragment throttled (429/503) for up to
 * {@link #MAX_INLINE_WAIT} waits and goes on (the bytes already sent would be lost otherwise); a longer wait, or a
 * throttled session creation (nothing sent yet), is the outbox's ({@code RetryLater}). No Authorization header goes to
 * the upload URL (it is pre-authenticated; Graph may answer 401 to one).
 */
final class FragmentUpload {

    static final int UNIT = 320 * 1024;
    static final int FRAGMENT = 32 * UNIT; // 10 MiB
    /** A fragment throttled for longer than this gives the wait to the outbox (RetryLater) rather than block. */
    static final Duration MAX_INLINE_WAIT = Duration.ofSeconds(10);
    /** Failures in a row, without progress, before the store gives up (then the outbox tries again later). */
    static final int ATTEMPTS = 5;

    private final OneDriveStore store;
    private final URI url;
    private final long size;
    private final String name;

    FragmentUpload(OneDriveStore store, URI url, long size, String name) {
        this.store = store;
        this.url = url;
        this.size = size;
        this.name = name;
    }

    /** Sends every byte of {@code content}; @return the driveItem OneDrive made of it */
    JsonNode send(InputStream content) {
        byte[] buf = new byte[(int) Math.min(FRAGMENT, size)];
        long bufStart = 0; // buf holds bytes [bufStart, bufStart + filled) of the file
        int filled = 0;
        long next = 0; // where the server expects the next byte
        int failures = 0;
        while (true) {
            if (next > bufStart) { // acknowledged: drop them, keep the rest at the front
                int drop = (int) Math.min(filled, next - bufStart);
                System.arraycopy(buf, drop, buf, 0, filled - drop);
                filled -= drop;
                bufStart += drop;
                if (next > bufStart) { // the server claims bytes not sent yet: skip them in the stream
                    skip(content, next - bufStart);
                    bufStart = next;
                }
            } else if (next < bufStart) {
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive's upload session of '" + name
                        + "' lost bytes it had acknowledged (it expects byte " + next + " again); the document is"
                        + " stored again later");
            }
            filled = fill(content, buf, filled, bufStart);
            boolean last = bufStart + filled == size;
            int length = last ? filled : filled - filled % UNIT;
            HttpResponse<String> r;
            try {
                r = put(buf, length, bufStart);
            } catch (IOException e) {
                failures = failed(failures, e.getClass().getSimpleName());
                next = expected(bufStart);
                continue;
            }
            int status = r.statusCode();
            if (status == 200 || status == 201 || status == 202) {
                JsonNode answer = OneDriveStore.json(r.body());
                if (answer.hasNonNull("id")) {
                    return answer; // the last fragment: the driveItem
                }
                if (last) {
                    throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive took the last fragment of '"
                            + name + "' without making the file; the document is stored again later");
                }
                next = answer.has("nextExpectedRanges") ? start(answer, bufStart + length) : bufStart + length;
                failures = next > bufStart ? 0 : failed(failures, "no progress at byte " + next);
            } else if ((status == 429 || status == 503)
                    && OneDriveStore.retryAfter(r).compareTo(MAX_INLINE_WAIT) <= 0) {
                // a short wait is cheaper than the whole file again: wait here, then go on where the session is
                failures = failed(failures, "HTTP " + status, OneDriveStore.retryAfter(r));
                next = expected(bufStart);
            } else if (status == 416 || (status >= 500 && status != 503)) {
                // not where the server is (416), or it failed mid-way: ask where to go on
                failures = failed(failures, "HTTP " + status);
                next = expected(bufStart);
            } else if (status == 404) {
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive's upload session of '" + name
                        + "' expired or was cancelled; the document is stored again later");
            } else {
                throw OneDriveStore.failure(r, "uploading '" + name + "'");
            }
        }
    }

    private int failed(int failures, String what) {
        // a growing pause between repeated failures (the first retry goes at once: a cut is usually one-off)
        Duration pause = failures == 0 ? Duration.ZERO : Duration.ofMillis(500L << Math.min(failures, 4));
        return failed(failures, what, pause);
    }

    private int failed(int failures, String what, Duration pause) {
        if (failures + 1 >= ATTEMPTS) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "the upload of '" + name + "' to OneDrive failed "
                    + ATTEMPTS + " times in a row (last: " + what + "); the document is stored again later");
        }
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "interrupted during an upload to OneDrive");
        }
        return failures + 1;
    }

    /** Reads the stream until the buffer is full or the file's end is in it. */
    private int fill(InputStream content, byte[] buf, int filled, long bufStart) {
        try {
            while (filled < buf.length && bufStart + filled < size) {
                int r = content.read(buf, filled, (int) Math.min(buf.length - filled, size - bufStart - filled));
                if (r < 0) {
                    throw new EnvoiException(ErrorCode.MAIL_REJECTED, "'" + name + "' ended after "
                            + (bufStart + filled) + " of the " + size + " bytes announced: the document changed while"
                            + " it was being stored; send it again");
                }
                filled += r;
            }
            return filled;
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "'" + name + "' could not be read ("
                    + e.getClass().getSimpleName() + "); try again", e);
        }
    }

    private void skip(InputStream content, long n) {
        try {
            content.skipNBytes(n);
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "'" + name + "' could not be read ("
                    + e.getClass().getSimpleName() + "); try again", e);
        }
    }

    private HttpResponse<String> put(byte[] buf, int length, long start) throws IOException {
        // from the buffer as it is: no copy of the fragment (ofByteArray and ofInputStream would copy it)
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(5))
                .header("Content-Range", "bytes " + start + "-" + (start + length - 1) + "/" + size)
                .PUT(HttpRequest.BodyPublishers.fromPublisher(new SlicePublisher(buf, length), length))
                .build();
        try {
            return store.http().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "interrupted during the upload of '" + name + "'");
        }
    }

    /** Asks the session where it expects the next byte; {@code fallback} when the answer does not say. */
    private long expected(long fallback) {
        HttpResponse<String> r;
        try {
            r = store.http().send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return fallback; // the next PUT tries from there; a 416 brings us back here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "interrupted during the upload of '" + name + "'");
        }
        if (r.statusCode() == 404) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive's upload session of '" + name
                    + "' expired or was cancelled; the document is stored again later");
        }
        if (r.statusCode() != 200) {
            throw OneDriveStore.failure(r, "resuming the upload of '" + name + "'");
        }
        return start(OneDriveStore.json(r.body()), fallback);
    }

    /** The first missing byte from {@code nextExpectedRanges} ("start-end" or "start-"). */
    private static long start(JsonNode session, long fallback) {
        long min = Long.MAX_VALUE;
        for (JsonNode range : session.path("nextExpectedRanges")) {
            String s = range.asText("");
            int dash = s.indexOf('-');
            try {
                min = Math.min(min, Long.parseLong(dash < 0 ? s : s.substring(0, dash)));
            } catch (NumberFormatException e) {
                // not a range: ignored
            }
        }
        return min == Long.MAX_VALUE ? fallback : min;
    }
}
