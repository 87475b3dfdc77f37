package dev.streamtune.ingest;

import dev.streamtune.contracts.Reason;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that cannot be deserialised to the dead-letter topic, original bytes and headers
 * kept, reason {@code unparsable}, and goes on. Ingest reads {@code feedback.events} as raw bytes,
 * so this is a safety net for topologies that deserialise earlier.
 */
public final class DeadLetteringDeserializationHandler extends DeadLetterTarget implements DeserializationExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetteringDeserializationHandler.class);

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
            Exception exception) {
        LOG.warn("dead-lettering undeserialisable record {}-{}@{}: {}", record.topic(),
                record.partition(), record.offset(), exception.toString());
        ProducerRecord<byte[], byte[]> dead = new ProducerRecord<>(dlqTopic, null, record.timestamp(),
                record.key(), record.value(), DeadLetters.headers(record.headers(),
                        Reason.UNPARSABLE.code(), String.valueOf(exception.getMessage()), record.topic(),
                        record.partition(), record.offset(), System.currentTimeMillis()));
        return Response.resume(List.of(dead));
    }
}
