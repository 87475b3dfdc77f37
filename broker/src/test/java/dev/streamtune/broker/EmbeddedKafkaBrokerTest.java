package dev.streamtune.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

    private static final Duration POLL_BUDGET = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void createsTopicsWithRequestedPartitionsAndIsIdempotent() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir));
             Admin admin = Admin.create(broker.clientProperties())) {
            assertTrue(broker.bootstrapServers().matches("localhost:\\d+"), broker.bootstrapServers());
            assertNotEquals("localhost:0", broker.bootstrapServers());

            List<TopicSpec> topics = List.of(new TopicSpec("feedback.events", 6),
                    new TopicSpec("adapters.control", 1, Map.of("cleanup.policy", "compact")));
            broker.createTopics(topics);
            broker.createTopics(topics); // again: no error
            // an existing topic is left alone even when asked with another partition count
            broker.createTopics(List.of(new TopicSpec("feedback.events", 2), new TopicSpec("feedback.dlq", 3)));

            Map<String, TopicDescription> d = admin.describeTopics(
                    Set.of("feedback.events", "adapters.control", "feedback.dlq")).allTopicNames().get();
            assertEquals(6, d.get("feedback.events").partitions().size());
            assertEquals(1, d.get("adapters.control").partitions().size());
            assertEquals(3, d.get("feedback.dlq").partitions().size());
            var compact = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "adapters.control")))
                    .all().get().values().iterator().next().get("cleanup.policy").value();
            assertEquals("compact", compact);
            assertEquals(Set.of("feedback.events", "adapters.control", "feedback.dlq"),
                    admin.listTopics().names().get());
        }
    }

    /**
     * A topic is only "created" for a producer once every partition's leader takes writes: a
     * write refused then (NOT_LEADER_OR_FOLLOWER) is retried by an idempotent producer after later
     * batches of the same partition were accepted, and the broker then rejects the retry as out of
     * order until the delivery timeout. One write per partition right after creation, with no
     * retries, must succeed.
     */
    @Test
    void everyPartitionTakesWritesAsSoonAsCreateTopicsReturns() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))) {
            Map<String, Object> props = broker.clientProperties();
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
            props.put(ProducerConfig.RETRIES_CONFIG, 0);
            props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
            int topics = 12;
            int partitions = 6;
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                for (int t = 0; t < topics; t++) {
                    String topic = "fresh-" + t;
                    broker.createTopics(List.of(new TopicSpec(topic, partitions)));
                    List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
                    for (int p = 0; p < partitions; p++) {
                        sends.add(producer.send(new ProducerRecord<>(topic, p, "k", "v")));
                    }
                    for (var send : sends) {
                        send.get();
                    }
                }
            }
        }
    }

    @Test
    void transactionalRecordsAreReadBackWithReadCommitted() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))) {
            broker.createTopics(List.of(new TopicSpec("tx", 3)));
            try (KafkaProducer<String, String> producer = transactionalProducer(broker, "tx-test")) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 1000; i++) {
                    producer.send(new ProducerRecord<>("tx", "k" + (i % 7), "v" + i));
                }
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx", "k", "aborted"));
                producer.abortTransaction();
            }
            List<ConsumerRecord<String, String>> records = readAll(broker, "tx", 1000);
            assertEquals(1000, records.size());
            Set<String> values = records.stream().map(ConsumerRecord::value).collect(Collectors.toSet());
            assertEquals(1000, values.size());
            assertTrue(values.contains("v0") && values.contains("v999"));
            assertFalse(values.contains("aborted"));
        }
    }

    @Test
    void restartOnSameDataDirectoryKeepsTopicsAndRecords() throws Exception {
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))) {
            clusterId = broker.clusterId();
            broker.createTopics(List.of(new TopicSpec("kept", 2)));
            try (KafkaProducer<String, String> producer = transactionalProducer(broker, "restart-test")) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("kept", "k" + i, "v" + i));
                }
                producer.commitTransaction();
            }
        }
        assertTrue(Files.exists(dir.resolve("kafka-logs/meta.properties")));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir));
             Admin admin = Admin.create(broker.clientProperties())) {
            assertEquals(clusterId, broker.clusterId());
            assertEquals(clusterId, admin.describeCluster().clusterId().get());
            assertEquals(2, admin.describeTopics(Set.of("kept")).allTopicNames().get()
                    .get("kept").partitions().size());
            List<ConsumerRecord<String, String>> records = readAll(broker, "kept", 100);
            assertEquals(100, records.size());
            assertEquals(Set.of("v0", "v99"), records.stream().map(ConsumerRecord::value)
                    .filter(v -> v.equals("v0") || v.equals("v99")).collect(Collectors.toSet()));
        }
    }

    @Test
    void startsQuicklyAndCloseIsIdempotent() throws Exception {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir));
        try {
            System.gc();
            long heapAfter = rt.totalMemory() - rt.freeMemory();
            System.out.printf("embedded broker startup %d ms (fresh data directory, formatting included); "
                            + "used heap %d MB before, %d MB after start (+%d MB)%n",
                    broker.startupTime().toMillis(), heapBefore >> 20, heapAfter >> 20,
                    (heapAfter - heapBefore) >> 20);
            assertTrue(broker.startupTime().compareTo(Duration.ofSeconds(30)) < 0,
                    "startup took " + broker.startupTime());
            try (Admin admin = Admin.create(broker.clientProperties())) {
                assertEquals(1, admin.describeCluster().nodes().get().size());
            }
        } finally {
            broker.close();
        }
        assertTrue(broker.isClosed());
        broker.close(); // second close: no exception, returns at once
        var e = assertThrows(IllegalStateException.class, () -> broker.createTopics(List.of(new TopicSpec("x", 1))));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void startOnPortInUseFailsWithClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("localhost"), 0));
            int port = taken.getLocalPort();
            var e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir).withKafkaPort(port))));
            assertTrue(e.getMessage().contains("port " + port) && e.getMessage().contains("already in use"),
                    e.getMessage());
        }
    }

    @Test
    void secondBrokerOnSameDataDirectoryFailsClearly() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))) {
            var e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))));
            assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("in use"), e.getMessage());
            // the running broker is unharmed
            broker.createTopics(List.of(new TopicSpec("still-works", 1)));
        }
    }

    @Test
    void restartWithAnotherNodeIdFailsClearlyAndLeavesDataUsable() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))) {
            broker.createTopics(List.of(new TopicSpec("t", 1)));
        }
        var e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(IllegalStateException.class,
                () -> EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir).withNodeId(2))));
        System.out.println("node id mismatch message: " + e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))) {
            again.createTopics(List.of(new TopicSpec("t", 1), new TopicSpec("u", 1)));
        }
    }

    private static KafkaProducer<String, String> transactionalProducer(EmbeddedKafkaBroker broker, String txId) {
        Map<String, Object> p = broker.clientProperties();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txId + "-" + UUID.randomUUID());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        return new KafkaProducer<>(p);
    }

    /** Reads a topic from the beginning, read_committed, until {@code expected} records or the end offsets. */
    private static List<ConsumerRecord<String, String>> readAll(EmbeddedKafkaBroker broker, String topic, int expected) {
        Map<String, Object> p = broker.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + POLL_BUDGET.toNanos();
            while (System.nanoTime() < deadline
                    && parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
            assertTrue(out.size() >= expected || parts.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp)),
                    "did not reach the end of " + topic + " within " + POLL_BUDGET);
        }
        return out;
    }
}
