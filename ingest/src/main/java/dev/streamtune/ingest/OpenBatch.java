package dev.streamtune.ingest;

import dev.streamtune.contracts.TrainingBatch;
import dev.streamtune.contracts.TrainingBatch.CloseReason;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch an adapter is filling: its sequence number, when it opened, and its examples already
 * serialised, so closing it concatenates bytes instead of serialising every example again.
 */
final class OpenBatch {
    /** Room reserved for the batch's own fields around the examples. */
    static final int ENVELOPE_BYTES = 512;

    private final String adapter;
    private final long sequence;
    private final long openedAtMs;
    private final List<byte[]> examples = new ArrayList<>();
    private int events;
    private int bytes = ENVELOPE_BYTES;

    OpenBatch(String adapter, long sequence, long openedAtMs) {
        this.adapter = adapter;
        this.sequence = sequence;
        this.openedAtMs = openedAtMs;
    }

    long sequence() {
        return sequence;
    }

    long openedAtMs() {
        return openedAtMs;
    }

    /** How many events have joined, which is also the position of the next one. */
    int events() {
        return events;
    }

    int exampleCount() {
        return examples.size();
    }

    int bytes() {
        return bytes;
    }

    /** The bytes {@code examples} add to a batch (each plus a separator). */
    static int sizeOf(List<byte[]> examples) {
        int size = 0;
        for (byte[] example : examples) {
            size += example.length + 1;
        }
        return size;
    }

    /**
     * {@code null} when an event with these examples fits, else the limit it would break.
     */
    CloseReason wouldOverflow(List<byte[]> more, IngestConfig.BatchLimits limits) {
        if (examples.size() + more.size() > limits.maxExamples()) {
            return CloseReason.MAX_EXAMPLES;
        }
        if (bytes + sizeOf(more) > limits.maxBytes()) {
            return CloseReason.MAX_BYTES;
        }
        return null;
    }

    void add(List<byte[]> more) {
        examples.addAll(more);
        bytes += sizeOf(more);
        events++;
    }

    /** {@code null} while the batch may take more, else the limit it has reached. */
    CloseReason full(IngestConfig.BatchLimits limits) {
        if (examples.size() >= limits.maxExamples()) {
            return CloseReason.MAX_EXAMPLES;
        }
        if (bytes >= limits.maxBytes()) {
            return CloseReason.MAX_BYTES;
        }
        return null;
    }

    /**
     * The closed batch as the JSON of {@link TrainingBatch} ({@code training.batches}' value),
     * written directly around the already serialised examples.
     */
    byte[] close(CloseReason reason, long closedAtMs) {
        // adapter ids, close reasons and RFC 3339 instants never need JSON escaping
        byte[] head = ("{\"schema\":\"" + TrainingBatch.SCHEMA_V1 + "\",\"adapter\":\"" + adapter
                + "\",\"sequence\":" + sequence + ",\"closedBy\":\"" + reason.wireName()
                + "\",\"openedAt\":\"" + Instant.ofEpochMilli(openedAtMs) + "\",\"closedAt\":\""
                + Instant.ofEpochMilli(closedAtMs) + "\",\"examples\":[").getBytes(StandardCharsets.US_ASCII);
        // one array of the exact size: the examples are copied once (a batch is tens of kilobytes)
        int size = head.length + Math.max(0, examples.size() - 1) + 2;
        for (byte[] example : examples) {
            size += example.length;
        }
        byte[] out = new byte[size];
        System.arraycopy(head, 0, out, 0, head.length);
        int at = head.length;
        for (int i = 0; i < examples.size(); i++) {
            if (i > 0) {
                out[at++] = ',';
            }
            byte[] example = examples.get(i);
            System.arraycopy(example, 0, out, at, example.length);
            at += example.length;
        }
        out[at++] = ']';
        out[at] = '}';
        return out;
    }
}
