package dev.streamtune.ingest;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Decides, from the event id alone, whether an event is held out for evaluation. Stable across
 * runs, JVMs and languages (murmur2 of the id's UTF-8 bytes, as Kafka's default partitioner hashes
 * keys), so a replayed or re-delivered event always lands on the same side, and all examples of one
 * event land together.
 */
public final class HoldoutSplit {
    private final int perMille;

    /** @param perMille events out of 1000 to hold out, 0..1000 */
    public HoldoutSplit(int perMille) {
        if (perMille < 0 || perMille > 1000) {
            throw new IllegalArgumentException("perMille must be 0..1000, got " + perMille);
        }
        this.perMille = perMille;
    }

    /** The event's bucket, 0..999. */
    public static int bucket(String eventId) {
        return Utils.toPositive(Utils.murmur2(eventId.getBytes(StandardCharsets.UTF_8))) % 1000;
    }

    /** Whether the event with this id belongs to the holdout set. */
    public boolean isHeldOut(String eventId) {
        return bucket(eventId) < perMille;
    }
}
