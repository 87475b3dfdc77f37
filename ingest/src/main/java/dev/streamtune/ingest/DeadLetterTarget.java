package dev.streamtune.ingest;

import dev.streamtune.contracts.Topics;
import java.util.Map;
import org.apache.kafka.common.Configurable;

/**
 * Where ingest's exception handlers send what they dead-letter: {@value #DLQ_TOPIC_CONFIG} from the
 * Streams config, {@code feedback.dlq} by default.
 */
abstract class DeadLetterTarget implements Configurable {
    /** Config key naming the dead-letter topic for the exception handlers. */
    public static final String DLQ_TOPIC_CONFIG = "streamtune.ingest.dlq.topic";

    protected String dlqTopic = Topics.FEEDBACK_DLQ.name();

    @Override
    public void configure(Map<String, ?> configs) {
        Object topic = configs.get(DLQ_TOPIC_CONFIG);
        if (topic != null) {
            dlqTopic = topic.toString();
        }
    }
}
