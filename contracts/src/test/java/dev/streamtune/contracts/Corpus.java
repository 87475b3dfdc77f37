package dev.streamtune.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The hand-written corpus of valid and invalid events in {@code src/test/resources/corpus}. */
final class Corpus {
    /** One invalid event and the reason it must be refused for. */
    record Invalid(String expectedReason, JsonNode event) {
        @Override
        public String toString() {
            String text = event.toString();
            return expectedReason + ": " + (text.length() > 100 ? text.substring(0, 100) + "…" : text);
        }
    }

    private Corpus() {}

    static List<JsonNode> valid() {
        return lines("/corpus/valid.jsonl");
    }

    static List<Invalid> invalid() {
        List<Invalid> cases = new ArrayList<>();
        for (JsonNode line : lines("/corpus/invalid.jsonl")) {
            cases.add(new Invalid(line.get("expect").textValue(), line.get("event")));
        }
        return cases;
    }

    private static List<JsonNode> lines(String resource) {
        List<JsonNode> nodes = new ArrayList<>();
        try (InputStream in = Corpus.class.getResourceAsStream(resource);
                BufferedReader reader =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    nodes.add(Json.mapper().readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return nodes;
    }
}
