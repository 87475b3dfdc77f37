package dev.streamtune.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.Json;
import dev.streamtune.contracts.ValidationResult;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends a JSON-lines file of feedback events to Kafka, validating each line first: the code path
 * behind {@code streamtune produce}. Each line is sent as its original bytes, keyed by its adapter
 * id. Invalid lines are reported with their line number and reasons and skipped, unless
 * {@code sendInvalid} (which exists to exercise the dead-letter path).
 */
final class FeedbackFileProducer {
    /** How many invalid lines are printed one by one before the rest are only counted. */
    static final int MAX_REPORTED_LINES = 20;

    /** What a run did. {@code lines} counts non-blank lines. */
    record Report(long lines, long sent, long invalid, long invalidSent) {}

    private final FeedbackValidator validator;
    private final PrintWriter err;

    FeedbackFileProducer(FeedbackValidator validator, PrintWriter err) {
        this.validator = validator;
        this.err = err;
    }

    Report produce(Path file, String bootstrap, String topic, boolean sendInvalid) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "streamtune-produce");

        AtomicLong acknowledged = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long lines = 0;
        long invalid = 0;
        long invalidSent = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                KafkaProducer<String, byte[]> producer =
                        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            long lineNumber = 0;
            for (byte[] line = nextLine(in); line != null; line = nextLine(in)) {
                lineNumber++;
                if (isBlank(line)) {
                    continue;
                }
                lines++;
                ValidationResult result = validator.validate(line);
                String key;
                if (result.isValid()) {
                    key = result.event().adapter();
                } else {
                    invalid++;
                    if (invalid <= MAX_REPORTED_LINES) {
                        err.println(file + ":" + lineNumber + ": " + result.describe());
                    }
                    if (!sendInvalid) {
                        continue;
                    }
                    invalidSent++;
                    key = adapterOf(line);
                }
                producer.send(new ProducerRecord<>(topic, key, line), (metadata, exception) -> {
                    if (exception == null) {
                        acknowledged.incrementAndGet();
                    } else {
                        firstFailure.compareAndSet(null, exception);
                    }
                });
                if (firstFailure.get() != null) {
                    break;
                }
            }
            producer.flush();
        } catch (NoSuchFileException e) {
            throw new UserError("file not found: " + file);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage());
        }
        if (invalid > MAX_REPORTED_LINES) {
            err.println("... and " + (invalid - MAX_REPORTED_LINES) + " more invalid lines");
        }
        err.flush();
        Exception failure = firstFailure.get();
        if (failure != null) {
            throw new UserError("sending to " + topic + " at " + bootstrap + " failed after "
                    + acknowledged.get() + " events: " + failure.getMessage(), 1);
        }
        return new Report(lines, acknowledged.get(), invalid, invalidSent);
    }

    /** The adapter id of an invalid line, if it has a readable one; else no key. */
    private static String adapterOf(byte[] line) {
        try {
            JsonNode adapter = Json.mapper().readTree(line).get("adapter");
            return adapter != null && adapter.isTextual() ? adapter.textValue() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The next line's bytes without its terminator ({@code \n} or {@code \r\n}), or null at the end. */
    private static byte[] nextLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(512);
        int b = in.read();
        if (b < 0) {
            return null;
        }
        while (b >= 0 && b != '\n') {
            line.write(b);
            b = in.read();
        }
        byte[] bytes = line.toByteArray();
        if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
            return java.util.Arrays.copyOf(bytes, bytes.length - 1);
        }
        return bytes;
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

}
