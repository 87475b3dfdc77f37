package dev.streamtune.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamtune.broker.BrokerConfig;
import dev.streamtune.broker.EmbeddedKafkaBroker;
import dev.streamtune.broker.TopicSpec;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.Json;
import dev.streamtune.contracts.Topics;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamtune produce} against the real embedded broker. */
class ProduceIntegrationTest {
    static final List<String> ADAPTERS = List.of("email-drafting", "task-extraction", "acme/scheduling");
    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker(@TempDir Path dir) {
        broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void tenThousandEventsArriveKeyedByAdapter(@TempDir Path dir) throws Exception {
        int count = 10_000;
        Path file = dir.resolve("events.jsonl");
        Map<String, String> adapterById = new HashMap<>();
        try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < count; i++) {
                String adapter = ADAPTERS.get(i % ADAPTERS.size());
                FeedbackEvent event = FeedbackEvent.demonstration("evt-" + i,
                        Instant.parse("2026-11-27T09:00:00Z").plusSeconds(i).toString(), adapter,
                        "user-" + (i % 17), "Draft reply number " + i, "Reply " + i + " — ok ✓");
                adapterById.put(event.id(), adapter);
                writer.write(Json.toString(event));
                writer.newLine();
            }
        }

        CommandLineErrorsTest.Run run =
                CommandLineErrorsTest.run("produce", "--file", file.toString(), "--bootstrap", broker.bootstrapServers());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("sent 10000 events to feedback.events"), run.out());

        Map<String, String> keyById = readAll(Topics.FEEDBACK_EVENTS.name(), count);
        assertEquals(adapterById, keyById);
    }

    @Test
    void invalidLinesAreReportedAndSkippedUnlessAskedFor(@TempDir Path dir) throws Exception {
        String valid = Json.toString(FeedbackEvent.rating("ok-1", "2026-11-27T09:00:00Z", "dlq-check", "u1",
                "p", "r", -1));
        Path file = dir.resolve("mixed.jsonl");
        Files.writeString(file, valid + "\n\n{\"adapter\":\"dlq-check\"}\nnot json\n");
        CommandLineErrorsTest.Run noTopic = CommandLineErrorsTest.run("produce", "--file", file.toString(),
                "--bootstrap", broker.bootstrapServers(), "--topic", "produce-skip");
        assertEquals(2, noTopic.exitCode());
        CommandLineErrorsTest.assertOneLine(noTopic.err(), "topic 'produce-skip' does not exist");
        broker.createTopics(List.of(new TopicSpec("produce-skip", 1), new TopicSpec("produce-all", 1)));

        CommandLineErrorsTest.Run skipped = CommandLineErrorsTest.run("produce", "--file", file.toString(),
                "--bootstrap", broker.bootstrapServers(), "--topic", "produce-skip");
        assertEquals(1, skipped.exitCode());
        assertTrue(skipped.err().contains("mixed.jsonl:3: missing-field at /schema"), skipped.err());
        assertTrue(skipped.err().contains("mixed.jsonl:4: unparsable"), skipped.err());
        assertTrue(skipped.out().contains("sent 1 events"), skipped.out());

        CommandLineErrorsTest.Run sent = CommandLineErrorsTest.run("produce", "--file", file.toString(),
                "--bootstrap", broker.bootstrapServers(), "--topic", "produce-all", "--send-invalid");
        assertEquals(0, sent.exitCode(), sent.err());
        assertTrue(sent.out().contains("sent 3 events"), sent.out());
    }

    /** Reads {@code expected} records from the start of {@code topic}: value's id → key. */
    static Map<String, String> readAll(String topic, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "produce-test-" + topic);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, String> keyById = new HashMap<>();
        Instant deadline = Instant.now().plusSeconds(60);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props,
                Topics.FEEDBACK_EVENTS.keySerde().deserializer(),
                org.apache.kafka.common.serialization.Serdes.ByteArray().deserializer())) {
            consumer.subscribe(List.of(topic));
            while (keyById.size() < expected && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    String id = Json.fromBytes(record.value(), FeedbackEvent.class).id();
                    String previous = keyById.put(id, record.key());
                    assertEquals(null, previous, "duplicate record for " + id);
                }
            }
        }
        return keyById;
    }
}
