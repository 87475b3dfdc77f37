package dev.streamtune.contracts;

/**
  * Why an event was refused. The {@link #code()} is what the dead-letter topic's
  * {@value DeadLetter#REASON} header carries, so consumers of {@code feedback.dlq} can group by it.
  */
public enum Reason {
    /** Not a JSON object: bad syntax, trailing data, duplicate keys, or another JSON type. */
    UNPARSABLE("unparsable"),
    /** The bytes are not valid UTF-8. */
    INVALID_UTF8("invalid-utf8"),
    /** {@code schema} names a version this release does not read. */
    UNKNOWN_SCHEMA("unknown-schema"),
    /** A required field is absent or null. */
    MISSING_FIELD("missing-field"),
    /** A field has the wrong JSON type (a number where text belongs, say). */
    WRONG_TYPE("wrong-type"),
    /** A top-level field the schema does not define (a typo, often). */
    UNKNOWN_FIELD("unknown-field"),
    /** A defined field that this event's kind does not use, or both prompt and messages. */
    UNEXPECTED_FIELD("unexpected-field"),
    /** {@code kind} is not one of demonstration, correction, rating, preference. */
    UNKNOWN_KIND("unknown-kind"),
    /** A text field is empty or only whitespace. */
    EMPTY_TEXT("empty-text"),
    /** A text field is longer than the per-field limit (UTF-8 bytes). */
    OVERSIZE_FIELD("oversize-field"),
    /** The whole event is longer than the per-event limit (bytes). */
    OVERSIZE_EVENT("oversize-event"),
    /** The adapter id does not match the adapter id syntax. */
    INVALID_ADAPTER("invalid-adapter"),
    /** {@code time} is not an RFC 3339 timestamp with offset. */
    INVALID_TIME("invalid-time"),
    /** Any other field whose value breaks its rule (id syntax, rating ±1, chat role…). */
    INVALID_VALUE("invalid-value"),
    /** Valid, but for an adapter this deployment does not train (decided by ingest). */
    UNKNOWN_ADAPTER("unknown-adapter"),
    /** Valid, but its user exceeded the per-user rate limit for the adapter (decided by ingest). */
    RATE_LIMITED("rate-limited"),
    /** Valid, but a stage failed on it or the broker refused an output; kept for a replay. */
    PROCESSING_FAILED("processing-failed");

    private final String code;

    Reason(String code) {
        this.code = code;
    }

    /** The stable wire code, e.g. {@code oversize-field}. */
    public String code() {
        return code;
    }

    @Override
    public String toString() {
        return code;
    }
}
