package dev.streamtune.app;

import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.Topics;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamtune produce --file events.jsonl}: validates and sends feedback events.
 *
 * <p>Exit status: 0 when every line was sent; 1 when invalid lines were skipped (the valid ones
 * were still sent) or sending failed; 2 for a bad argument.
 */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = {
            "Validate feedback events (JSON lines) and send them to feedback.events.",
            "Each line is sent as is, keyed by its adapter id. Invalid lines are reported with",
            "line number and reasons and are not sent, unless --send-invalid."
        })
final class ProduceCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--file", required = true, paramLabel = "FILE",
            description = "JSON lines, one feedback event per line.")
    Path file;

    @Option(names = "--send-invalid",
            description = "Send invalid lines too (to exercise the dead-letter path).")
    boolean sendInvalid;

    @Option(names = "--topic", defaultValue = "feedback.events", paramLabel = "TOPIC",
            description = "Topic to send to (default: ${DEFAULT-VALUE}).")
    String topic;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(file)) {
            throw new UserError(Files.exists(file) ? "not a regular file: " + file : "file not found: " + file);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (KafkaAdmin admin = KafkaAdmin.connect(kafka.bootstrap)) {
            if (topic.equals(Topics.FEEDBACK_EVENTS.name())) {
                admin.ensureTopics(UpCommand.DEFAULT_PARTITIONS);
            } else if (!admin.exists(topic)) {
                throw new UserError("topic '" + topic + "' does not exist at " + kafka.bootstrap);
            }
        }
        FeedbackFileProducer producer =
                new FeedbackFileProducer(new FeedbackValidator(), spec.commandLine().getErr());
        FeedbackFileProducer.Report report = producer.produce(file, kafka.bootstrap, topic, sendInvalid);
        long skipped = report.invalid() - report.invalidSent();
        out.printf("sent %d events to %s (%d lines, %d invalid%s)%n", report.sent(), topic, report.lines(),
                report.invalid(), report.invalid() == 0 ? "" : sendInvalid ? ", sent anyway" : ", not sent");
        out.flush();
        return skipped > 0 ? 1 : 0;
    }
}
