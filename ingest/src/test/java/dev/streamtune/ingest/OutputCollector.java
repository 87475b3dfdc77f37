package dev.streamtune.ingest;

import dev.streamtune.contracts.DeadLetter;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.Reason;
import dev.streamtune.contracts.Topics;
import dev.streamtune.contracts.TrainingBatch;
import dev.streamtune.contracts.TrainingExample;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the stage's three output topics as a downstream consumer does (read_committed, from the
 * beginning) and tallies what it sees, counting every occurrence so that a duplicate shows.
 */
final class OutputCollector implements AutoCloseable {
    /** Header the tests put on every produced record: its index in the workload. */
    static final String SEQ_HEADER = "test-seq";

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final FeedbackValidator validator = new FeedbackValidator();

    /** Occurrences of each example id in batches and in the holdout topic. */
    final Map<String, Integer> examples = new HashMap<>();
    /** Event id → where its examples went ("batch", "holdout"), one entry per example. */
    final Map<String, List<String>> eventPlaces = new HashMap<>();
    /** Event ids dead-lettered as rate-limited, one entry per dead letter. */
    final List<String> rateLimited = new ArrayList<>();
    /** Workload index → dead-letter reasons seen for it (rate-limited excluded). */
    final Map<Integer, List<String>> invalidByIndex = new TreeMap<>();
    /** Per adapter, batch sequence numbers in the order read. */
    final Map<String, List<Long>> sequences = new HashMap<>();
    /** Per adapter and user, accepted examples (training and holdout). */
    final Map<String, Map<String, Integer>> examplesByAdapterUser = new HashMap<>();

    OutputCollector(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.TRAINING_BATCHES.name(), Topics.EVAL_HOLDOUT.name(),
                Topics.FEEDBACK_DLQ.name())) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Reads what is available now. */
    void poll() {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            String topic = record.topic();
            if (topic.equals(Topics.TRAINING_BATCHES.name())) {
                TrainingBatch batch = Topics.TRAINING_BATCHES.valueSerde().deserializer()
                        .deserialize(topic, record.value());
                sequences.computeIfAbsent(batch.adapter(), a -> new ArrayList<>()).add(batch.sequence());
                batch.examples().forEach(e -> seen(e, "batch"));
            } else if (topic.equals(Topics.EVAL_HOLDOUT.name())) {
                seen(Topics.EVAL_HOLDOUT.valueSerde().deserializer().deserialize(topic, record.value()), "holdout");
            } else {
                String reason = header(record, DeadLetter.REASON);
                if (Reason.RATE_LIMITED.code().equals(reason)) {
                    FeedbackEvent event = validator.validate(record.value()).event();
                    rateLimited.add(event.id());
                } else {
                    invalidByIndex.computeIfAbsent(Integer.parseInt(header(record, SEQ_HEADER)),
                            i -> new ArrayList<>()).add(reason);
                }
            }
        }
    }

    /** Reads until every output partition's committed end is reached. */
    void drain() {
        var ends = consumer.endOffsets(consumer.assignment());
        while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            poll();
        }
    }

    /** Distinct event ids that reached a final place (batch, holdout or rate-limited). */
    int settledEvents() {
        return eventPlaces.size() + rateLimited.size();
    }

    private void seen(TrainingExample example, String place) {
        examples.merge(example.exampleId(), 1, Integer::sum);
        eventPlaces.computeIfAbsent(example.eventId(), id -> new ArrayList<>()).add(place);
        examplesByAdapterUser.computeIfAbsent(example.adapter(), a -> new HashMap<>())
                .merge(example.user(), 1, Integer::sum);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
