package dev.streamtune.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Waits until newly created topics take writes on every partition: any Kafka cluster, through an
 * {@link Admin} client.
 *
 * <p>A create-topics call returns when the controller has committed the topics. Two lags follow:
 * the broker's metadata cache may not know a topic yet ("unknown topic" for a few milliseconds),
 * and metadata names a partition's leader before that broker has taken the leadership, so a
 * produce request in between is refused with NOT_LEADER_OR_FOLLOWER. The second one is worse
 * than a retry: an idempotent producer whose first batch of a partition is refused while its
 * later batches are accepted (the broker takes any first sequence number from a producer it does
 * not know) retries that first batch into OUT_OF_ORDER_SEQUENCE_NUMBER until its delivery timeout.
 * So a topic is ready only once every partition's leader has answered a request meant for the
 * leader: a list-offsets, which the admin client retries on that error.
 */
public final class TopicReadiness {
    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

    private TopicReadiness() {}

    /**
     * Blocks until every partition of {@code topics} answers its leader's list-offsets, or throws
     * {@link TimeoutException} at {@code deadlineNanos} (a {@link System#nanoTime()} value).
     */
    public static void awaitWritable(Admin admin, Collection<String> topics, long deadlineNanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (topics.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartition partition : awaitLeaders(admin, topics, deadlineNanos)) {
            latest.put(partition, OffsetSpec.latest());
        }
        admin.listOffsets(latest).all().get(remainingMs(deadlineNanos), TimeUnit.MILLISECONDS);
    }

    /** Describes the topics until each is known and names a leader for every partition. */
    private static List<TopicPartition> awaitLeaders(Admin admin, Collection<String> topics, long deadlineNanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> pending = new HashSet<>(topics);
        List<TopicPartition> partitions = new ArrayList<>();
        while (true) {
            Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(pending).topicNameValues();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> e : futures.entrySet()) {
                try {
                    TopicDescription d = e.getValue().get(remainingMs(deadlineNanos), TimeUnit.MILLISECONDS);
                    if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                        pending.remove(e.getKey());
                        d.partitions().forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition())));
                    }
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw ex;
                    }
                }
            }
            if (pending.isEmpty()) {
                return partitions;
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new TimeoutException("topics " + pending + " have no leader yet");
            }
            LockSupport.parkNanos(POLL_INTERVAL.toNanos());
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private static long remainingMs(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
