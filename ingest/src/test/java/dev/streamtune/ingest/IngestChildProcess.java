package dev.streamtune.ingest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs the ingest stage in a JVM of its own, so that a test can kill it the way a machine dies
 * ({@code SIGKILL}: no close, no commit, no flush). Arguments: bootstrap servers, state directory,
 * max-wait in milliseconds.
 */
public final class IngestChildProcess {
    private IngestChildProcess() {}

    public static void main(String[] args) throws InterruptedException {
        IngestConfig config = IntegrationConfig.of(args[0], Path.of(args[1]),
                Duration.ofMillis(Long.parseLong(args[2])));
        IngestService service = IngestService.start(config, IntegrationConfig.fastFailover());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    /** The configuration the integration tests run with, in this JVM or a child. */
    static final class IntegrationConfig {
        private IntegrationConfig() {}

        /** The production defaults; only where things live and how long a batch may wait differ. */
        static IngestConfig of(String bootstrap, Path stateDir, Duration maxWait) {
            IngestConfig defaults = IngestConfig.defaults(bootstrap);
            return defaults.withStateDir(stateDir).withBatch(new IngestConfig.BatchLimits(
                    defaults.batch().maxExamples(), defaults.batch().maxBytes(), maxWait));
        }

        /**
         * A replacement instance takes over a dead one's partitions at once (static membership, as a
         * restarted pod keeps its name), instead of after the 45 s session timeout.
         */
        static Properties fastFailover() {
            Properties props = new Properties();
            props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), "ingest-it-0");
            props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "6000");
            return props;
        }
    }
}
