package dev.streamtune.app;

import dev.streamtune.ingest.IngestConfig;
import dev.streamtune.ingest.IngestService;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamtune ingest}: runs the ingest stage alone against a Kafka cluster until Ctrl-C or
 * SIGTERM, then closes it cleanly (the last transaction commits). Creates the topics when missing.
 * Options left out keep {@link IngestConfig#defaults(String)}.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Run the ingest stage until Ctrl-C: feedback.events -> validate, dedupe, "
                + "rate-limit, redact, expand, split holdout, batch -> training.batches, eval.holdout, "
                + "feedback.dlq (exactly once by default).")
final class IngestCommand extends LongRunningCommand {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--state-dir", defaultValue = "data/ingest", paramLabel = "DIR",
            description = "Where the stage keeps its local state (default: ./${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--at-least-once",
            description = "Use at_least_once instead of exactly_once_v2 (faster; duplicates possible after a crash).")
    boolean atLeastOnce;

    @Option(names = "--allow-adapter", paramLabel = "ADAPTER",
            description = "Train only these adapters (repeatable); others are dead-lettered. Default: every valid id.")
    Set<String> allowedAdapters;

    @Option(names = "--no-redact", description = "Keep e-mail addresses and phone numbers in training text.")
    boolean noRedact;

    @Option(names = "--holdout-per-mille", paramLabel = "N",
            description = "Events per 1000 held out for evaluation (default: "
                    + IngestConfig.DEFAULT_HOLDOUT_PER_MILLE + ").")
    Integer holdoutPerMille;

    @Option(names = "--max-examples", paramLabel = "N", description = "Examples per batch at most (default: 32).")
    Integer maxExamples;

    @Option(names = "--max-wait", paramLabel = "DURATION",
            description = "Longest a batch stays open, ISO-8601 or seconds, e.g. PT10S or 10 (default: 10 s).")
    String maxWait;

    @Option(names = "--stream-threads", paramLabel = "N",
            description = "Stream threads; events are keyed by adapter, so more than one helps only when "
                    + "adapters spread over several partitions (default: " + IngestConfig.DEFAULT_STREAM_THREADS
                    + ").")
    Integer streamThreads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        IngestConfig config = config();
        PrintWriter out = spec.commandLine().getOut();
        try (KafkaAdmin admin = KafkaAdmin.connect(kafka.bootstrap)) {
            admin.ensureTopics(UpCommand.DEFAULT_PARTITIONS);
        }
        try (ShutdownSignal shutdown = installShutdownSignal("streamtune-ingest");
                IngestService ingest = IngestService.start(config, new Properties())) {
            awaitRunning(ingest);
            out.printf("ingest: %s on %s, %d stream thread(s), state in %s%n", config.processingGuarantee(),
                    config.bootstrapServers(), config.streamThreads(), config.stateDir());
            out.println("ready");
            out.flush();
            shutdown.awaitStopRequest();
            out.println("ingest: stopping");
            out.flush();
        }
        return 0;
    }

    private IngestConfig config() {
        CommandLine commandLine = spec.commandLine();
        try {
            IngestConfig config = IngestConfig.defaults(kafka.bootstrap).withStateDir(stateDir)
                    .withRedact(!noRedact);
            if (atLeastOnce) {
                config = config.withProcessingGuarantee(StreamsConfig.AT_LEAST_ONCE);
            }
            if (allowedAdapters != null) {
                config = config.withAllowedAdapters(allowedAdapters);
            }
            if (streamThreads != null) {
                config = config.withStreamThreads(streamThreads);
            }
            if (holdoutPerMille != null) {
                config = config.withHoldoutPerMille(holdoutPerMille);
            }
            if (maxExamples != null || maxWait != null) {
                IngestConfig.BatchLimits batch = config.batch();
                config = config.withBatch(new IngestConfig.BatchLimits(
                        maxExamples == null ? batch.maxExamples() : maxExamples, batch.maxBytes(),
                        maxWait == null ? batch.maxWait() : parseDuration(maxWait)));
            }
            return config;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, e.getMessage());
        }
    }

    private static Duration parseDuration(String text) {
        try {
            return text.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(text)) : Duration.parse(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--max-wait: '" + text + "' is not a duration (PT10S or 10)");
        }
    }
}
