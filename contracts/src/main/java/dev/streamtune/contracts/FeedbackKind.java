package dev.streamtune.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
  * What a piece of feedback says, and therefore which fields it carries besides the prompt.
  *
  * <ul>
  *   <li>{@code demonstration}: the ideal {@code completion} for a prompt (teaches SFT).
  *   <li>{@code correction}: the served {@code response} and the user's {@code corrected} text (SFT on
  *       the correction plus a preference pair corrected ≻ response).
  *   <li>{@code rating}: the served {@code response} and a {@code rating} of +1 or −1 (desirable or
  *       undesirable, KTO-style).
  *   <li>{@code preference}: a {@code chosen} and a {@code rejected} completion (a DPO pair).
  * </ul>
  */
public enum FeedbackKind {
    DEMONSTRATION("demonstration", Set.of("completion")),
    CORRECTION("correction", Set.of("response", "corrected")),
    RATING("rating", Set.of("response", "rating")),
    PREFERENCE("preference", Set.of("chosen", "rejected"));

    private final String wireName;
    private final Set<String> requiredFields;

    FeedbackKind(String wireName, Set<String> requiredFields) {
        this.wireName = wireName;
        this.requiredFields = requiredFields;
    }

    /** The name used in JSON, e.g. {@code "correction"}. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The kind-specific fields an event of this kind must carry (besides prompt or messages). */
    public Set<String> requiredFields() {
        return requiredFields;
    }

    /** Every kind-specific field of any kind: a field in this set but not required is unexpected. */
    public static final Set<String> KIND_SPECIFIC_FIELDS =
            Set.of("completion", "response", "corrected", "rating", "chosen", "rejected");

    /** The kind with this wire name, if any. */
    public static Optional<FeedbackKind> fromWireName(String name) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(name)).findFirst();
    }

    @JsonCreator
    static FeedbackKind parse(String name) {
        return fromWireName(name)
                .orElseThrow(() -> new IllegalArgumentException("unknown feedback kind: " + name));
    }
}
