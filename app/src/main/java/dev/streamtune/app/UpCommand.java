package dev.streamtune.app;

import dev.streamtune.broker.BrokerConfig;
import dev.streamtune.broker.EmbeddedKafkaBroker;
import dev.streamtune.ingest.IngestConfig;
import dev.streamtune.ingest.IngestService;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamtune up}: everything in one JVM. Starts the embedded Kafka broker (or uses
 * {@code --bootstrap}), creates the topics, starts the HTTP endpoint and the stages (today: ingest,
 * with its state under {@code DATA_DIR/ingest}), prints one
 * line per endpoint and then {@code ready}, and runs until Ctrl-C or SIGTERM, when it closes
 * everything in reverse order.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run streamtune in one process on an embedded Kafka broker (or --bootstrap).")
final class UpCommand extends LongRunningCommand {
    /** Three partitions: enough to show keyed scale-out, few enough for a laptop. */
    static final int DEFAULT_PARTITIONS = 3;

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Where the embedded broker and the stages keep their data (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "Use this Kafka cluster instead of starting the embedded broker.")
    String bootstrap;

    @Option(names = "--kafka-port", defaultValue = "9092", paramLabel = "PORT",
            description = "Port of the embedded broker (default: ${DEFAULT-VALUE}; 0 picks a free port).")
    int kafkaPort;

    @Option(names = "--http-port", defaultValue = "8080", paramLabel = "PORT",
            description = "Port of the HTTP endpoint with /metrics (default: ${DEFAULT-VALUE}; 0 picks a free port).")
    int httpPort;

    @Option(names = "--partitions", defaultValue = "" + DEFAULT_PARTITIONS, paramLabel = "N",
            description = "Partitions of each topic it creates (default: ${DEFAULT-VALUE}).")
    int partitions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        Deque<AutoCloseable> running = new ArrayDeque<>();
        try (ShutdownSignal shutdown = installShutdownSignal("streamtune-up")) {
            try {
                String kafka = bootstrap;
                if (kafka == null) {
                    BrokerConfig config = BrokerConfig.defaults(dataDir.resolve("kafka")).withKafkaPort(kafkaPort);
                    EmbeddedKafkaBroker broker = startBroker(config);
                    running.push(broker);
                    kafka = broker.bootstrapServers();
                }
                try (KafkaAdmin admin = KafkaAdmin.connect(kafka)) {
                    admin.ensureTopics(partitions);
                }
                MetricsEndpoint http = MetricsEndpoint.start("localhost", httpPort);
                running.push(http);
                IngestService ingest = IngestService.start(
                        IngestConfig.defaults(kafka).withStateDir(dataDir.resolve("ingest")), new Properties());
                running.push(ingest);
                awaitRunning(ingest);
                KafkaStreamsMetrics ingestMetrics = new KafkaStreamsMetrics(ingest.streams());
                ingestMetrics.bindTo(http.registry());
                running.push(ingestMetrics);
                out.println("kafka: " + kafka);
                out.println("http: http://localhost:" + http.port());
                out.println("ready");
                out.flush();
                shutdown.awaitStopRequest();
            } finally {
                closeAll(running, spec.commandLine().getErr());
            }
        }
        return 0;
    }

    private void validate() {
        CommandLine commandLine = spec.commandLine();
        if (partitions < 1) {
            throw new CommandLine.ParameterException(commandLine,
                    "--partitions must be at least 1, got " + partitions);
        }
        checkPort(commandLine, "--kafka-port", kafkaPort);
        checkPort(commandLine, "--http-port", httpPort);
    }

    private static void checkPort(CommandLine commandLine, String option, int port) {
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(commandLine,
                    option + " must be between 0 and 65535, got " + port);
        }
    }

    private static EmbeddedKafkaBroker startBroker(BrokerConfig config) {
        try {
            return EmbeddedKafkaBroker.start(config);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new UserError("cannot start the embedded Kafka broker: " + e.getMessage(), 1);
        }
    }

    private static void closeAll(Deque<AutoCloseable> running, PrintWriter err) {
        while (!running.isEmpty()) {
            AutoCloseable resource = running.pop();
            try {
                resource.close();
            } catch (Exception e) {
                err.println("streamtune up: closing " + resource.getClass().getSimpleName() + " failed: "
                        + e.getMessage());
            }
        }
        err.flush();
    }
}
