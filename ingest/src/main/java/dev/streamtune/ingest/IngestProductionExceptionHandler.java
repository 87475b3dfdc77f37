package dev.streamtune.ingest;

import dev.streamtune.contracts.Reason;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the job running when the broker refuses one record (too large, invalid) or a record cannot
 * be serialised: the input record that caused it is dead-lettered as {@code processing-failed}
 * ({@link Reason#PROCESSING_FAILED}) when Streams still knows it, and the failure is logged at ERROR.
 * Any other error (authorisation, fencing…) fails the thread as usual: those are not one poison
 * record but a broken deployment.
 */
public final class IngestProductionExceptionHandler extends DeadLetterTarget implements ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(IngestProductionExceptionHandler.class);

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
            Exception exception) {
        if (exception instanceof RecordTooLargeException || exception instanceof InvalidRecordException) {
            LOG.error("broker refused a record for {} ({} bytes); dropping it and going on", record.topic(),
                    record.value() == null ? 0 : record.value().length, exception);
            return Response.resume(deadLetterOfSource(context, exception));
        }
        return Response.fail();
    }

    @Override
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record,
            Exception exception, SerializationExceptionOrigin origin) {
        LOG.error("cannot serialise a record for {} ({}); dropping it and going on", record.topic(), origin,
                exception);
        return Response.resume(deadLetterOfSource(context, exception));
    }

    private List<ProducerRecord<byte[], byte[]>> deadLetterOfSource(ErrorHandlerContext context,
            Exception exception) {
        if (context == null || context.sourceRawValue() == null || dlqTopic.equals(context.topic())) {
            return List.of(); // from a punctuation (no input record), or the dead-letter write itself
        }
        return List.of(new ProducerRecord<>(dlqTopic, null, context.timestamp(), context.sourceRawKey(),
                context.sourceRawValue(), DeadLetters.headers(context.headers(),
                        Reason.PROCESSING_FAILED.code(), "cannot produce its output: " + exception, context.topic(),
                        context.partition(), context.offset(), System.currentTimeMillis())));
    }
}
