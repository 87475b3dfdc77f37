package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The fast path's timestamp check gives the full check's answer, month lengths and leap years included. */
class FastPathTimestampTest {
    @Test
    void everyDayOfEveryMonthAgreesWithTheFullCheck() {
        int[] years = {0, 1, 4, 100, 400, 1900, 1999, 2000, 2023, 2024, 2026, 2100, 2400, 9999};
        for (int year : years) {
            for (int month = 0; month <= 13; month++) {
                for (int day = 0; day <= 32; day++) {
                    for (String rest : new String[] {"T09:00:00Z", "T23:59:59.123+05:30", "T00:00:00-17:59"}) {
                        String t = String.format("%04d-%02d-%02d%s", year, month, day, rest);
                        assertEquals(FeedbackValidator.isTimestamp(t), FeedbackFastPath.isTimestamp(t), t);
                    }
                }
            }
        }
    }
}
