package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamtune.ingest.LedgerEntry.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

class LedgerChunkTest {
    @Test
    void entriesComeBackInOrderWithTheirNumbersTimesAndContents() {
        LedgerEntry training = LedgerEntry.training("email-drafting", "u-1", 7, 3, 1_000, 2, "feedback.events", 1, 42);
        LedgerEntry limited = LedgerEntry.notBatched(Outcome.RATE_LIMITED, "acme/scheduling", "u-ü", 1);
        LedgerChunk.Builder builder = new LedgerChunk.Builder(100);
        builder.append("ev-1", 5_000, training.encode());
        byte[] first = builder.toBytes();
        builder.append("ev-ß", 4_000, limited.encode()); // stream time never goes back, but the chunk must not care
        byte[] second = builder.toBytes();

        assertEquals(new LedgerChunk.Header(100, 1, 5_000), LedgerChunk.header(first));
        assertEquals(List.of(new LedgerChunk.Entry(100, "ev-1", 5_000, training)), LedgerChunk.entries(first));
        assertEquals(new LedgerChunk.Header(100, 2, 5_000), LedgerChunk.header(second));
        assertEquals(101, LedgerChunk.header(second).lastNumber());
        assertEquals(List.of(new LedgerChunk.Entry(100, "ev-1", 5_000, training),
                new LedgerChunk.Entry(101, "ev-ß", 4_000, limited)), LedgerChunk.entries(second));
    }

    @Test
    void aChunkOfAnotherFormatOrWithTrailingBytesIsRefused() {
        LedgerChunk.Builder builder = new LedgerChunk.Builder(0);
        builder.append("ev-1", 1, LedgerEntry.notBatched(Outcome.HOLDOUT, "a", "u", 1).encode());
        byte[] chunk = builder.toBytes();
        byte[] otherFormat = chunk.clone();
        otherFormat[0] = LedgerChunk.FORMAT + 1;
        assertThrows(IllegalStateException.class, () -> LedgerChunk.header(otherFormat));
        byte[] longer = java.util.Arrays.copyOf(chunk, chunk.length + 1);
        assertThrows(IllegalStateException.class, () -> LedgerChunk.entries(longer));
    }
}
