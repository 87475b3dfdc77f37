package dev.streamtune.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/** How a training example teaches; see {@link TrainingExample}. */
public enum ExampleKind {
    /** Supervised fine-tuning: raise the likelihood of {@code completion} (desirable). */
    SFT("sft"),
    /** A preference pair for DPO: {@code chosen} ≻ {@code rejected}. */
    PREFERENCE("preference"),
    /** An undesirable completion (a −1 rating), for KTO-style training or as a negative. */
    UNDESIRABLE("undesirable");

    private final String wireName;

    ExampleKind(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    static ExampleKind parse(String name) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown example kind: " + name));
    }
}
