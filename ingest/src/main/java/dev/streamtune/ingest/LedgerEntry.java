package dev.streamtune.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the ingest ledger remembers about one accepted or rate-limited event (the value under its
 * event id). This one record is the only state written per event: its presence deduplicates the
 * id, its adapter/user/examples rebuild the rate-limit counts, and for an event in an open batch
 * it carries the serialised examples and their place, so the open batch survives a crash.
 *
 * @param outcome where the event went
 * @param adapter the adapter id
 * @param user the pseudonymous user id
 * @param exampleCount how many examples the event yielded
 * @param batchSequence {@link Outcome#TRAINING}: the sequence number of the batch it joined; else -1
 * @param position {@link Outcome#TRAINING}: its index among the events of that batch; else -1
 * @param batchOpenedAtMs {@link Outcome#TRAINING}: wall-clock time the batch opened; else -1
 * @param examples {@link Outcome#TRAINING}: the serialised examples (JSON); else empty
 */
record LedgerEntry(
        Outcome outcome,
        String adapter,
        String user,
        int exampleCount,
        long batchSequence,
        int position,
        long batchOpenedAtMs,
        List<byte[]> examples) {

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
        examples = examples == null ? List.of() : examples;
    }

    static LedgerEntry training(String adapter, String user, long batchSequence, int position,
            long batchOpenedAtMs, List<byte[]> examples) {
        return new LedgerEntry(Outcome.TRAINING, adapter, user, examples.size(), batchSequence, position,
                batchOpenedAtMs, examples);
    }

    static LedgerEntry notBatched(Outcome outcome, String adapter, String user, int exampleCount) {
        return new LedgerEntry(outcome, adapter, user, exampleCount, -1, -1, -1, List.of());
    }

    /** Whether the event counts toward rate limits (it was accepted, for training or holdout). */
    boolean accepted() {
        return outcome != Outcome.RATE_LIMITED;
    }

    /** A compact binary form: lengths are ints, strings UTF-8. */
    byte[] encode() {
        byte[] adapterBytes = adapter.getBytes(StandardCharsets.UTF_8);
        byte[] userBytes = user.getBytes(StandardCharsets.UTF_8);
        int size = 1 + 4 + adapterBytes.length + 4 + userBytes.length + 4 + 8 + 4 + 8 + 4;
        for (byte[] example : examples) {
            size += 4 + example.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put((byte) outcome.ordinal());
        out.putInt(adapterBytes.length).put(adapterBytes);
        out.putInt(userBytes.length).put(userBytes);
        out.putInt(exampleCount).putLong(batchSequence).putInt(position).putLong(batchOpenedAtMs);
        out.putInt(examples.size());
        for (byte[] example : examples) {
            out.putInt(example.length).put(example);
        }
        return out.array();
    }

    static LedgerEntry decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        Outcome outcome = Outcome.values()[in.get()];
        String adapter = string(in);
        String user = string(in);
        int exampleCount = in.getInt();
        long batchSequence = in.getLong();
        int position = in.getInt();
        long openedAt = in.getLong();
        int n = in.getInt();
        List<byte[]> examples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] example = new byte[in.getInt()];
            in.get(example);
            examples.add(example);
        }
        return new LedgerEntry(outcome, adapter, user, exampleCount, batchSequence, position, openedAt,
                examples);
    }

    private static String string(ByteBuffer in) {
        byte[] bytes = new byte[in.getInt()];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
