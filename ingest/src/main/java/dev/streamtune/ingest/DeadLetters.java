package dev.streamtune.ingest;

import dev.streamtune.contracts.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds the headers of a {@code feedback.dlq} record: the original headers, then the
 * {@link DeadLetter} headers naming the reason, the source topic/partition/offset and the time.
 */
public final class DeadLetters {
    /** The longest detail header kept; an event breaking many rules is described in full in logs. */
    static final int MAX_DETAIL_CHARS = 2000;

    private DeadLetters() {}

    /** A copy of {@code original} (may be null) with the dead-letter headers added. */
    public static Headers headers(Headers original, String reason, String detail, String topic,
            int partition, long offset, long nowMs) {
        RecordHeaders headers = new RecordHeaders(original == null ? null : original.toArray());
        add(headers, DeadLetter.REASON, reason);
        add(headers, DeadLetter.DETAIL, detail.length() <= MAX_DETAIL_CHARS
                ? detail : detail.substring(0, MAX_DETAIL_CHARS - 3) + "...");
        add(headers, DeadLetter.SOURCE_TOPIC, topic);
        add(headers, DeadLetter.SOURCE_PARTITION, Integer.toString(partition));
        add(headers, DeadLetter.SOURCE_OFFSET, Long.toString(offset));
        add(headers, DeadLetter.TIME, Instant.ofEpochMilli(nowMs).toString());
        return headers;
    }

    private static void add(Headers headers, String name, String value) {
        headers.remove(name); // a re-dead-lettered record keeps only the latest reason
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
