package dev.streamtune.contracts;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic of the design (see DESIGN.md's data flow), typed. */
public final class Topics {
    /** Keep forever: the registry is a fold over the whole control history. */
    private static final Map<String, String> KEEP_FOREVER = Map.of("retention.ms", "-1");

    /** Raw feedback from apps, keyed by adapter id. */
    public static final Topic<String, FeedbackEvent> FEEDBACK_EVENTS = Topic.keyedByAdapter(
            "feedback.events", new FeedbackEventSerde(), Map.of(), "feedback from apps");

    /** Refused input: the original key and value bytes, with {@link DeadLetter} headers. */
    public static final Topic<byte[], byte[]> FEEDBACK_DLQ = new Topic<>(
            "feedback.dlq", Serdes.ByteArray(), Serdes.ByteArray(), Map.of(),
            "refused feedback with the reason in headers");

    /** Held-out examples the evaluator scores candidates on; never trained on. */
    public static final Topic<String, TrainingExample> EVAL_HOLDOUT = Topic.keyedByAdapter(
            "eval.holdout", new JsonSerde<>(TrainingExample.class), Map.of(), "held-out examples");

    /** Clean training batches per adapter, in order. */
    public static final Topic<String, TrainingBatch> TRAINING_BATCHES = Topic.keyedByAdapter(
            "training.batches", new JsonSerde<>(TrainingBatch.class), Map.of(), "training batches");

    /** New adapter versions announced by the trainer. */
    public static final Topic<String, CandidateAnnouncement> ADAPTERS_CANDIDATES =
            Topic.keyedByAdapter("adapters.candidates", new JsonSerde<>(CandidateAnnouncement.class),
                    KEEP_FOREVER, "candidate adapter versions");

    /** Signed commands that decide what is served and trained. */
    public static final Topic<String, ControlCommand> ADAPTERS_CONTROL = Topic.keyedByAdapter(
            "adapters.control", new JsonSerde<>(ControlCommand.class), KEEP_FOREVER,
            "promote, reject, rollback, pin, pause");

    /** All of them, in data-flow order. */
    public static final List<Topic<?, ?>> ALL = List.of(FEEDBACK_EVENTS, FEEDBACK_DLQ, EVAL_HOLDOUT,
            TRAINING_BATCHES, ADAPTERS_CANDIDATES, ADAPTERS_CONTROL);

    private Topics() {}
}
