package dev.streamtune.contracts;

/**
  * Header names on {@code feedback.dlq} records. The record's key and value are the original bytes,
  * unchanged, and the original headers are kept; these headers (UTF-8 strings) say why and whence.
  */
public final class DeadLetter {
    /** The {@link Reason#code()} of the first violation, e.g. {@code missing-field}. */
    public static final String REASON = "streamtune.dlq.reason";
    /** Every violation, human-readable. */
    public static final String DETAIL = "streamtune.dlq.detail";
    /** The topic the record was read from. */
    public static final String SOURCE_TOPIC = "streamtune.dlq.source.topic";
    /** The partition it was read from (decimal). */
    public static final String SOURCE_PARTITION = "streamtune.dlq.source.partition";
    /** The offset it was read from (decimal). */
    public static final String SOURCE_OFFSET = "streamtune.dlq.source.offset";
    /** When it was dead-lettered, RFC 3339. */
    public static final String TIME = "streamtune.dlq.time";

    private DeadLetter() {}
}
