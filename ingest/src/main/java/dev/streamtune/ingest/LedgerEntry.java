package dev.streamtune.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What the ingest ledger remembers about one accepted or rate-limited event (the value under its
 * event id). This one record is the only state written per event: its presence deduplicates the
 * id, its adapter/user/example count rebuild the rate-limit counts, and for an event in an open
 * batch its place in the batch and where it was read from, so the open batch survives a crash: the
 * examples are re-derived from the input record itself ({@code feedback.events} keeps it; the
 * derivation is deterministic), instead of being written to the changelog a second time.
 *
 * @param outcome where the event went
 * @param adapter the adapter id
 * @param user the pseudonymous user id
 * @param exampleCount how many examples the event yielded
 * @param batchSequence {@link Outcome#TRAINING}: the sequence number of the batch it joined; else -1
 * @param position {@link Outcome#TRAINING}: its index among the events of that batch; else -1
 * @param batchOpenedAtMs {@link Outcome#TRAINING}: wall-clock time the batch opened; else -1
 * @param sourceTopic {@link Outcome#TRAINING}: the topic the event was read from; else ""
 * @param sourcePartition {@link Outcome#TRAINING}: its partition; else -1
 * @param sourceOffset {@link Outcome#TRAINING}: its offset; else -1
 */
record LedgerEntry(
        Outcome outcome,
        String adapter,
        String user,
        int exampleCount,
        long batchSequence,
        int position,
        long batchOpenedAtMs,
        String sourceTopic,
        int sourcePartition,
        long sourceOffset) {

    /** Leads every encoded entry; an entry of another format is refused, not misread. */
    static final byte FORMAT = 2;

    /** Where an event went. */
    enum Outcome {
        TRAINING,
        HOLDOUT,
        RATE_LIMITED
    }

    LedgerEntry {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(sourceTopic, "sourceTopic");
    }

    static LedgerEntry training(String adapter, String user, long batchSequence, int position,
            long batchOpenedAtMs, int exampleCount, String topic, int partition, long offset) {
        return new LedgerEntry(Outcome.TRAINING, adapter, user, exampleCount, batchSequence, position,
                batchOpenedAtMs, topic, partition, offset);
    }

    static LedgerEntry notBatched(Outcome outcome, String adapter, String user, int exampleCount) {
        return new LedgerEntry(outcome, adapter, user, exampleCount, -1, -1, -1, "", -1, -1);
    }

    /** Whether the event counts toward rate limits (it was accepted, for training or holdout). */
    boolean accepted() {
        return outcome != Outcome.RATE_LIMITED;
    }

    /** A compact binary form (about 60 bytes): lengths are ints, strings UTF-8. */
    byte[] encode() {
        byte[] adapterBytes = adapter.getBytes(StandardCharsets.UTF_8);
        byte[] userBytes = user.getBytes(StandardCharsets.UTF_8);
        byte[] topicBytes = sourceTopic.getBytes(StandardCharsets.UTF_8);
        int size = 1 + 1 + 4 + adapterBytes.length + 4 + userBytes.length + 4 + 8 + 4 + 8 + 4 + topicBytes.length
                + 4 + 8;
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(FORMAT).put((byte) outcome.ordinal());
        out.putInt(adapterBytes.length).put(adapterBytes);
        out.putInt(userBytes.length).put(userBytes);
        out.putInt(exampleCount).putLong(batchSequence).putInt(position).putLong(batchOpenedAtMs);
        out.putInt(topicBytes.length).put(topicBytes).putInt(sourcePartition).putLong(sourceOffset);
        return out.array();
    }

    static LedgerEntry decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte format = in.get();
        if (format != FORMAT) {
            throw new IllegalStateException("ledger entry of format " + format + ", this version reads " + FORMAT);
        }
        Outcome outcome = Outcome.values()[in.get()];
        String adapter = string(in);
        String user = string(in);
        int exampleCount = in.getInt();
        long batchSequence = in.getLong();
        int position = in.getInt();
        long openedAt = in.getLong();
        String topic = string(in);
        int partition = in.getInt();
        long offset = in.getLong();
        return new LedgerEntry(outcome, adapter, user, exampleCount, batchSequence, position, openedAt, topic,
                partition, offset);
    }

    private static String string(ByteBuffer in) {
        byte[] bytes = new byte[in.getInt()];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
