package dev.streamtune.contracts;

import java.util.Objects;

/**
  * A contiguous range of offsets of one topic partition, both ends inclusive: the lineage unit of
  * an adapter version ("learned from training.batches partition 3, offsets 120–184").
  */
public record OffsetRange(String topic, int partition, long fromOffset, long toOffset) {
    public OffsetRange {
        Objects.requireNonNull(topic, "topic");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0, got " + partition);
        }
        if (fromOffset < 0 || toOffset < fromOffset) {
            throw new IllegalArgumentException(
                    "need 0 <= fromOffset <= toOffset, got " + fromOffset + ".." + toOffset);
        }
    }
}
