package dev.streamtune.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamtune.broker.BrokerConfig;
import dev.streamtune.broker.EmbeddedKafkaBroker;
import dev.streamtune.contracts.DeadLetter;
import dev.streamtune.contracts.Topic;
import dev.streamtune.contracts.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamtune up}: endpoints, ready line, topics, metrics, clean stop, restart on the same data. */
class UpCommandTest {
    @Test
    void startsPrintsEndpointsServesMetricsAndStopsCleanly(@TempDir Path dir) throws Exception {
        Path dataDir = dir.resolve("data");
        for (int round = 1; round <= 2; round++) { // the second round restarts on the same data
            long start = System.nanoTime();
            RunningCommand up = RunningCommand.start(new UpCommand(), "--data-dir", dataDir.toString(), "--kafka-port", "0", "--http-port", "0",
                    "--partitions", "2");
            List<String> printed = up.linesUntilReady();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("round %d: ready after %.2f s%n", round, seconds);
            assertTrue(seconds < 15, "ready after " + seconds + " s");
            assertEquals(2, printed.size(), printed.toString());
            assertTrue(printed.get(0).startsWith("kafka: localhost:"), printed.get(0));
            assertTrue(printed.get(1).startsWith("http: http://localhost:"), printed.get(1));
            String bootstrap = printed.get(0).substring("kafka: ".length());
            String http = printed.get(1).substring("http: ".length());

            try (KafkaAdmin admin = KafkaAdmin.connect(bootstrap)) {
                var topics = admin.endOffsets(false);
                for (Topic<?, ?> topic : Topics.ALL) {
                    assertEquals(2, topics.get(topic.name()).size(), topic.name());
                }
            }
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create(http + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "no JVM metrics");
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(http + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            if (round == 1) {
                assertIngestRunsInside(bootstrap);
                assertTrue(client.send(HttpRequest.newBuilder(URI.create(http + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body().contains("kafka_stream_"), "no Streams metrics");
            }
            assertEquals(0, up.stop());
            assertTrue(Files.isDirectory(dataDir.resolve("kafka")));
        }
    }

    @Test
    void usesAnExistingClusterWithBootstrap(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir.resolve("cluster")))) {
            Path dataDir = dir.resolve("data");
            RunningCommand up = RunningCommand.start(new UpCommand(), "--bootstrap", broker.bootstrapServers(), "--data-dir", dataDir.toString(),
                    "--http-port", "0");
            List<String> printed = up.linesUntilReady();
            assertEquals("kafka: " + broker.bootstrapServers(), printed.get(0));
            assertTrue(printed.get(1).startsWith("http: "), printed.get(1));
            try (KafkaAdmin admin = KafkaAdmin.connect(broker.bootstrapServers())) {
                assertTrue(admin.endOffsets(false).keySet().containsAll(
                        Topics.ALL.stream().map(Topic::name).toList()));
            }
            assertEquals(0, up.stop());
            assertTrue(Files.notExists(dataDir.resolve("kafka")), "started an embedded broker anyway");
        }
    }

    /** A poison record sent to feedback.events comes out of ingest on feedback.dlq with its reason. */
    static void assertIngestRunsInside(String bootstrap) {
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.FEEDBACK_EVENTS.name(),
                    "email-drafting".getBytes(StandardCharsets.UTF_8), "not json".getBytes(StandardCharsets.UTF_8)));
        }
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "up-test");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.FEEDBACK_DLQ.name()));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(deadLetters::add);
                return !deadLetters.isEmpty();
            });
        }
        assertEquals(1, deadLetters.size());
        assertEquals("not json", new String(deadLetters.get(0).value(), StandardCharsets.UTF_8));
        assertEquals("unparsable", new String(
                deadLetters.get(0).headers().lastHeader(DeadLetter.REASON).value(), StandardCharsets.UTF_8));
    }
}
