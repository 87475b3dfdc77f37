package dev.streamtune.app;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamtune topics}: each topic with its partitions' end offsets. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "List topics with the end offset of each partition and their sum.")
final class TopicsCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--internal", description = "Include Kafka's internal topics.")
    boolean internal;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (KafkaAdmin admin = KafkaAdmin.connect(kafka.bootstrap)) {
            var topics = admin.endOffsets(internal);
            int width = topics.keySet().stream().mapToInt(String::length).max().orElse(5);
            out.printf("%-" + width + "s  %10s  %s%n", "TOPIC", "END", "PARTITION:END");
            topics.forEach((name, partitions) -> out.printf("%-" + width + "s  %10d  %s%n", name,
                    partitions.values().stream().mapToLong(Long::longValue).sum(),
                    partitions.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                            .collect(Collectors.joining(" "))));
        }
        out.flush();
        return 0;
    }
}
