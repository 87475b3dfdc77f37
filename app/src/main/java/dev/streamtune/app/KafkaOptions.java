package dev.streamtune.app;

import picocli.CommandLine.Option;

/** The {@code --bootstrap} option shared by the commands that talk to a running cluster. */
final class KafkaOptions {
    @Option(
            names = "--bootstrap",
            paramLabel = "HOST:PORT",
            defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrap;
}
