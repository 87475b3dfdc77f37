package dev.streamtune.app;

import dev.streamtune.broker.TopicReadiness;
import dev.streamtune.contracts.Topic;
import dev.streamtune.contracts.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

/** Cluster housekeeping for the command line: reachability, the project's topics, end offsets. */
final class KafkaAdmin implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final String bootstrap;
    private final Admin admin;

    private KafkaAdmin(String bootstrap, Admin admin) {
        this.bootstrap = bootstrap;
        this.admin = admin;
    }

    /** Connects and checks that the cluster answers; a {@link UserError} if it does not. */
    static KafkaAdmin connect(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "streamtune-admin");
        KafkaAdmin kafka = new KafkaAdmin(bootstrap, Admin.create(props));
        try {
            kafka.await(kafka.admin.describeCluster().clusterId());
            return kafka;
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    /**
     * Creates every topic of the design that does not exist yet, with {@code partitions} partitions
     * and each topic's configs; existing topics are left alone. Returns once every partition of the
     * topics it asked for takes writes ({@link TopicReadiness}); returns the names created.
     */
    List<String> ensureTopics(int partitions) {
        Set<String> existing = await(admin.listTopics().names());
        List<NewTopic> missing = new ArrayList<>();
        for (Topic<?, ?> topic : Topics.ALL) {
            if (!existing.contains(topic.name())) {
                missing.add(new NewTopic(topic.name(), partitions, (short) 1).configs(topic.configs()));
            }
        }
        List<String> created = new ArrayList<>();
        for (var entry : admin.createTopics(missing).values().entrySet()) {
            try {
                await(entry.getValue());
                created.add(entry.getKey());
            } catch (UserError e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        awaitWritable(missing.stream().map(NewTopic::name).toList());
        return created;
    }

    private void awaitWritable(List<String> topics) {
        try {
            TopicReadiness.awaitWritable(admin, topics, System.nanoTime() + TIMEOUT.toNanos());
        } catch (TimeoutException e) {
            throw notWritable(topics);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException ? notWritable(topics)
                    : failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted", 130);
        }
    }

    /** Whether {@code topic} exists. */
    boolean exists(String topic) {
        return await(admin.listTopics().names()).contains(topic);
    }

    /** Each topic with its end offset per partition, sorted by name. */
    SortedMap<String, SortedMap<Integer, Long>> endOffsets(boolean includeInternal) {
        Set<String> names = await(admin.listTopics(new ListTopicsOptions().listInternal(includeInternal)).names());
        Map<String, TopicDescription> descriptions = await(admin.describeTopics(names).allTopicNames());
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        descriptions.values().forEach(description -> description.partitions().forEach(
                partition -> request.put(new TopicPartition(description.name(), partition.partition()),
                        OffsetSpec.latest())));
        var offsets = await(admin.listOffsets(request).all());
        SortedMap<String, SortedMap<Integer, Long>> result = new TreeMap<>();
        names.forEach(name -> result.put(name, new TreeMap<>()));
        offsets.forEach((partition, info) ->
                result.get(partition.topic()).put(partition.partition(), info.offset()));
        return result;
    }

    private <T> T await(org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw unreachable();
        } catch (ExecutionException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted", 130);
        }
    }

    private UserError notWritable(List<String> topics) {
        return new UserError("topics " + topics + " at " + bootstrap + " have no partition leader taking writes "
                + "after " + TIMEOUT.toSeconds() + " s", 1);
    }

    /** An admin call's failure: unreachable when it timed out, else refused with Kafka's reason. */
    private UserError failed(ExecutionException e) {
        if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
            return unreachable();
        }
        UserError error = new UserError("Kafka at " + bootstrap + " refused: " + e.getCause().getMessage(), 1);
        error.initCause(e.getCause());
        return error;
    }

    private UserError unreachable() {
        return new UserError("cannot reach Kafka at " + bootstrap + " within " + TIMEOUT.toSeconds()
                + " s (is it running? start one with 'streamtune up')", 1);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
