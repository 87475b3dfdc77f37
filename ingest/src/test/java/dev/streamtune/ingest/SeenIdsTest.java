package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SeenIdsTest {
    private static final long HOUR = RateLimiter.HOUR_MS;

    @Test
    void everyAddedIdInTheWindowMightBeContained() {
        SeenIds seen = new SeenIds(64L << 20);
        for (int i = 0; i < 300_000; i++) {
            seen.add("e-" + i, 10 * HOUR + i * 30L); // spans about three hours, filters grow
        }
        for (int i = 0; i < 300_000; i++) {
            assertTrue(seen.mightContain("e-" + i, 10 * HOUR), "e-" + i);
        }
        int falsePositives = 0;
        for (int i = 0; i < 100_000; i++) {
            if (seen.mightContain("new-" + i, 10 * HOUR)) {
                falsePositives++;
            }
        }
        assertTrue(falsePositives < 5_000, falsePositives + " false positives of 100,000");
    }

    @Test
    void hoursBeforeTheWindowAreDroppedAndLaterOnesKept() {
        SeenIds seen = new SeenIds(64L << 20);
        seen.add("old", 5 * HOUR + 1);
        seen.add("new", 7 * HOUR + 1);
        assertTrue(seen.mightContain("old", 5 * HOUR + 2)); // same hour: kept, the store decides
        assertTrue(seen.mightContain("new", 6 * HOUR));
        assertFalse(seen.mightContain("old", 6 * HOUR));
        assertFalse(seen.mightContain("absent", 8 * HOUR));
    }

    @Test
    void pastTheMemoryBoundAnHourIsNoLongerFilteredButNeverAnsweredNo() {
        SeenIds seen = new SeenIds(100_000); // room for the first filter of one hour only
        for (int i = 0; i < 70_000; i++) {
            seen.add("e-" + i, HOUR);
        }
        assertTrue(seen.mightContain("never-added", HOUR));
        for (int i = 0; i < 70_000; i++) {
            assertTrue(seen.mightContain("e-" + i, HOUR));
        }
    }
}
