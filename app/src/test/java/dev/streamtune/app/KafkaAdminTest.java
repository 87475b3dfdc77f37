package dev.streamtune.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamtune.broker.BrokerConfig;
import dev.streamtune.broker.EmbeddedKafkaBroker;
import dev.streamtune.contracts.Topic;
import dev.streamtune.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KafkaAdmin} against the real embedded broker. */
class KafkaAdminTest {

    /**
     * {@code ensureTopics} returns only when every partition takes writes: one write per partition
     * right after it, with no retries, must succeed (without the wait a leader refuses some of them).
     */
    @Test
    void everyPartitionOfTheCreatedTopicsTakesWritesAtOnce(@TempDir Path dir) throws Exception {
        int partitions = 6;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir))) {
            List<String> created;
            try (KafkaAdmin admin = KafkaAdmin.connect(broker.bootstrapServers())) {
                created = admin.ensureTopics(partitions);
            }
            assertEquals(Topics.ALL.stream().map(Topic::name).collect(Collectors.toSet()), Set.copyOf(created));

            Map<String, Object> props = broker.clientProperties();
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
            props.put(ProducerConfig.RETRIES_CONFIG, 0);
            props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
            byte[] bytes = "{}".getBytes(StandardCharsets.UTF_8);
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                List<Future<RecordMetadata>> sends = new ArrayList<>();
                for (String topic : created) {
                    for (int p = 0; p < partitions; p++) {
                        sends.add(producer.send(new ProducerRecord<>(topic, p, bytes, bytes)));
                    }
                }
                for (Future<RecordMetadata> send : sends) {
                    assertEquals(0, send.get().offset());
                }
            }
        }
    }
}
