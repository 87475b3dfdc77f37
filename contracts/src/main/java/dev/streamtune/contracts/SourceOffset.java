package dev.streamtune.contracts;

import java.util.Objects;

/** Where a record was read from: lineage from a training example back to its feedback event. */
public record SourceOffset(String topic, int partition, long offset) {
    public SourceOffset {
        Objects.requireNonNull(topic, "topic");
    }
}
