package dev.streamtune.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamtune.contracts.Topic;
import dev.streamtune.contracts.Topics;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.BufferedReader;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code streamtune up}: endpoints, ready line, topics, metrics, clean stop, restart on the same data. */
class UpCommandTest {
    @Test
    void startsPrintsEndpointsServesMetricsAndStopsCleanly(@TempDir Path dir) throws Exception {
        Path dataDir = dir.resolve("data");
        for (int round = 1; round <= 2; round++) { // the second round restarts on the same data
            UpCommand up = new UpCommand();
            CommandLine commandLine = new CommandLine(up); // our own instance, so the test can stop it
            PipedWriter pipe = new PipedWriter();
            BufferedReader lines = new BufferedReader(new PipedReader(pipe, 1 << 16));
            commandLine.setOut(new PrintWriter(pipe, true));
            StringWriter err = new StringWriter();
            commandLine.setErr(new PrintWriter(err, true));

            long start = System.nanoTime();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> commandLine.execute(
                    "--data-dir", dataDir.toString(), "--kafka-port", "0", "--http-port", "0", "--partitions", "2"));
            List<String> printed = new ArrayList<>();
            for (String line = lines.readLine(); line != null && !line.equals("ready"); line = lines.readLine()) {
                printed.add(line);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("round %d: ready after %.2f s%n", round, seconds);
            assertTrue(seconds < 15, "ready after " + seconds + " s");
            assertEquals(2, printed.size(), printed.toString());
            assertTrue(printed.get(0).startsWith("kafka: localhost:"), printed.get(0));
            assertTrue(printed.get(1).startsWith("http: http://localhost:"), printed.get(1));
            String bootstrap = printed.get(0).substring("kafka: ".length());
            String http = printed.get(1).substring("http: ".length());

            try (KafkaAdmin admin = KafkaAdmin.connect(bootstrap)) {
                var topics = admin.endOffsets(false);
                for (Topic<?, ?> topic : Topics.ALL) {
                    assertEquals(2, topics.get(topic.name()).size(), topic.name());
                }
            }
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create(http + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "no JVM metrics");
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(http + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            up.stopAndAwait();
            assertEquals(0, exit.get(30, TimeUnit.SECONDS), err.toString());
            assertTrue(Files.isDirectory(dataDir.resolve("kafka")));
        }
    }
}
