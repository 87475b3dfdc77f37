package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
  * Real, messy human preference data (HH-RLHF, from ../shared/datasets) turned into preference
  * events: every pair the converter builds must validate, and refusals must be for size only.
  * Skips when the shared folder is absent.
  */
class HhRlhfPreferencesTest {
    @Test
    void realPreferencePairsBecomeValidEvents() throws Exception {
        Path file = Path.of(System.getProperty("streamtune.shared.dir", "../../shared"),
                "datasets", "hh-rlhf-harmless-base-test.jsonl.gz");
        assumeTrue(Files.isRegularFile(file), "HH-RLHF dataset not present: " + file);

        FeedbackValidator validator = new FeedbackValidator();
        int lines = 0;
        int valid = 0;
        List<String> refusals = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                JsonNode pair = Json.mapper().readTree(line);
                FeedbackEvent event = HhRlhf.toEvent(lines++, pair.get("chosen").textValue(),
                        pair.get("rejected").textValue());
                if (event == null) {
                    continue; // identical replies or no shared dialogue: not a preference
                }
                ValidationResult result = validator.validate(Json.toBytes(event));
                if (result.isValid()) {
                    valid++;
                    assertEquals(event, result.event());
                } else {
                    refusals.add(result.describe());
                }
            }
        }
        assertEquals(2312, lines);
        assertTrue(valid > 2000, "only " + valid + " valid of " + lines + ": " + refusals);
        for (String refusal : refusals) {
            assertTrue(refusal.startsWith("empty-text"), refusal);
        }
    }
}
