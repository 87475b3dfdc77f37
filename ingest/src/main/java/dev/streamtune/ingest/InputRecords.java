package dev.streamtune.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads given input records back from {@code feedback.events} by offset: how a task restores its
 * open batches, whose examples the ledger does not copy (see {@link LedgerEntry}). It uses the
 * application's restore-consumer configuration (same cluster, security settings and, under
 * exactly-once, read_committed isolation), without a group.
 */
final class InputRecords {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private InputRecords() {}

    /**
     * The values of the records at {@code offsets} of each partition.
     *
     * @throws IllegalStateException when one of them is no longer in the topic (it was deleted by
     *     retention while the stage was down) or cannot be read in time: the open batch it belongs to
     *     cannot be rebuilt, and the task must not go on as if it had been
     */
    static Map<TopicPartition, Map<Long, byte[]>> read(Map<String, Object> consumerConfig,
            Map<TopicPartition, Set<Long>> offsets) {
        Map<String, Object> props = new HashMap<>(consumerConfig);
        props.remove("group.id");
        props.remove("group.instance.id");
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "none");
        Map<TopicPartition, Map<Long, byte[]>> found = new HashMap<>();
        Map<TopicPartition, TreeSet<Long>> wanted = new HashMap<>();
        offsets.forEach((tp, set) -> wanted.put(tp, new TreeSet<>(set)));
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(new ArrayList<>(wanted.keySet()));
            wanted.forEach((tp, set) -> consumer.seek(tp, set.first()));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!wanted.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read back " + describe(wanted) + " within " + TIMEOUT);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    TreeSet<Long> left = wanted.get(tp);
                    if (left != null && left.remove(record.offset())) {
                        found.computeIfAbsent(tp, k -> new HashMap<>()).put(record.offset(), record.value());
                    }
                }
                for (TopicPartition tp : List.copyOf(wanted.keySet())) {
                    TreeSet<Long> left = wanted.get(tp);
                    if (!left.isEmpty() && consumer.position(tp) > left.first()) {
                        throw new IllegalStateException(tp + " no longer holds offset " + left.first()
                                + " (deleted by retention?): an open batch cannot be rebuilt");
                    }
                    if (left.isEmpty()) {
                        wanted.remove(tp);
                        consumer.pause(List.of(tp));
                    }
                }
            }
        }
        return found;
    }

    private static String describe(Map<TopicPartition, TreeSet<Long>> wanted) {
        StringBuilder out = new StringBuilder();
        wanted.forEach((tp, set) -> out.append(out.length() == 0 ? "" : ", ").append(tp).append(' ').append(set));
        return out.toString();
    }
}
