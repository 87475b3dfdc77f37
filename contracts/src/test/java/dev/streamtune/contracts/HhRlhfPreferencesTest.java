package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        List<HhRlhf.Pair> pairs = HhRlhf.read(file);
        int lines = pairs.size();
        int valid = 0;
        List<String> refusals = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            FeedbackEvent event = HhRlhf.toEvent(pairs.get(i), "hh-" + i, "2026-11-27T09:00:00Z",
                    "harmless-assistant", "hh-user-" + (i % 97));
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
        assertEquals(2312, lines);
        assertTrue(valid > 2000, "only " + valid + " valid of " + lines + ": " + refusals);
        for (String refusal : refusals) {
            assertTrue(refusal.startsWith("empty-text"), refusal);
        }
    }
}
