package dev.streamtune.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
  * A batch of training examples for one adapter, the value of {@code training.batches} (key: the
  * adapter id). Batches of an adapter carry increasing {@code sequence} numbers in the order they
  * were closed.
  *
  * @param schema always {@link #SCHEMA_V1}
  * @param adapter the adapter id
  * @param sequence 0, 1, 2, … per adapter
  * @param closedBy which limit closed the batch
  * @param openedAt when its first example arrived, RFC 3339
  * @param closedAt when it was closed, RFC 3339
  * @param examples the examples, in arrival order (never empty)
  */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingBatch(
        String schema,
        String adapter,
        long sequence,
        CloseReason closedBy,
        String openedAt,
        String closedAt,
        List<TrainingExample> examples) {

    public static final String SCHEMA_V1 = "streamtune.batch/v1";

    public TrainingBatch {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(closedBy, "closedBy");
        Objects.requireNonNull(examples, "examples");
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("a batch holds at least one example");
        }
        examples = List.copyOf(examples);
    }

    /** Which limit closed a batch. */
    public enum CloseReason {
        MAX_EXAMPLES("max-examples"),
        MAX_BYTES("max-bytes"),
        MAX_WAIT("max-wait");

        private final String wireName;

        CloseReason(String wireName) {
            this.wireName = wireName;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        @JsonCreator
        static CloseReason parse(String name) {
            return Arrays.stream(values()).filter(r -> r.wireName.equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown close reason: " + name));
        }
    }
}
