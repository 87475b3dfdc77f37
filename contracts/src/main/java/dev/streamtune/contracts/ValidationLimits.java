package dev.streamtune.contracts;

/**
  * Size limits for feedback events.
  *
  * @param maxFieldBytes the longest a single text field may be, in UTF-8 bytes. Default 32 KiB: a
  *     long e-mail thread fits; a pasted document does not belong in a training example.
  * @param maxEventBytes the longest a whole serialised event may be, in bytes. Default 256 KiB:
  *     several maximal fields plus chat turns, while staying far below Kafka's 1 MiB message limit.
  * @param maxMessages the most chat turns a prompt may have. Default 256, beyond any real dialogue.
  */
public record ValidationLimits(int maxFieldBytes, int maxEventBytes, int maxMessages) {
    /** 32 KiB per field, 256 KiB per event, 256 chat turns. */
    public static final ValidationLimits DEFAULTS = new ValidationLimits(32 * 1024, 256 * 1024, 256);

    public ValidationLimits {
        if (maxFieldBytes < 1) {
            throw new IllegalArgumentException("maxFieldBytes must be at least 1, got " + maxFieldBytes);
        }
        if (maxEventBytes < maxFieldBytes) {
            throw new IllegalArgumentException(
                    "maxEventBytes (" + maxEventBytes + ") must be at least maxFieldBytes (" + maxFieldBytes + ")");
        }
        if (maxMessages < 1) {
            throw new IllegalArgumentException("maxMessages must be at least 1, got " + maxMessages);
        }
    }
}
