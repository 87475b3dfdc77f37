package dev.streamtune.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A run of consecutive ledger entries, the unit the ledger is stored and changelogged in: the value
 * under the chunk's key (the number of its first entry) in the ledger store. Every accepted or
 * rate-limited event gets the next entry number of its task; an entry is its event id, the stream
 * time it was recorded at and its {@link LedgerEntry}.
 *
 * <p>Why chunks: a changelog record per event cost more than the entry itself (the producer's
 * per-record work, the broker validating each record of a compacted topic). The open chunk is put
 * again after every entry into the store's record cache, which sends only the latest value of a key
 * to the changelog when the task commits, so a commit writes one record per chunk touched.
 *
 * <p>Encoding: a format byte, the first entry's number, the entry count and the newest entry's
 * stream time, then per entry its stream time, its id (length-prefixed UTF-8) and its encoded
 * {@link LedgerEntry} (length-prefixed).
 */
final class LedgerChunk {
    /** Leads every encoded chunk; a chunk of another format is refused, not misread. */
    static final byte FORMAT = 1;
    private static final int HEADER_BYTES = 1 + 8 + 4 + 8;

    /** One entry of a chunk. */
    record Entry(long number, String eventId, long timestamp, LedgerEntry entry) {}

    /** A decoded chunk's header. */
    record Header(long firstNumber, int count, long newestTimestamp) {
        long lastNumber() {
            return firstNumber + count - 1;
        }
    }

    private LedgerChunk() {}

    static Header header(byte[] chunk) {
        ByteBuffer in = ByteBuffer.wrap(chunk);
        byte format = in.get();
        if (format != FORMAT) {
            throw new IllegalStateException("ledger chunk of format " + format + ", this version reads " + FORMAT);
        }
        return new Header(in.getLong(), in.getInt(), in.getLong());
    }

    static List<Entry> entries(byte[] chunk) {
        Header header = header(chunk);
        ByteBuffer in = ByteBuffer.wrap(chunk, HEADER_BYTES, chunk.length - HEADER_BYTES);
        List<Entry> entries = new ArrayList<>(header.count());
        for (int i = 0; i < header.count(); i++) {
            long timestamp = in.getLong();
            byte[] id = new byte[in.getInt()];
            in.get(id);
            byte[] entry = new byte[in.getInt()];
            in.get(entry);
            entries.add(new Entry(header.firstNumber() + i, new String(id, StandardCharsets.UTF_8), timestamp,
                    LedgerEntry.decode(entry)));
        }
        if (in.hasRemaining()) {
            throw new IllegalStateException("ledger chunk " + header.firstNumber() + " has " + in.remaining()
                    + " bytes after its " + header.count() + " entries");
        }
        return entries;
    }

    /** The chunk being filled: entries appended in number order, encoded as they come. */
    static final class Builder {
        private final long firstNumber;
        private byte[] bytes = new byte[1024];
        private int length = HEADER_BYTES;
        private int count;
        private long newestTimestamp = Long.MIN_VALUE;

        Builder(long firstNumber) {
            this.firstNumber = firstNumber;
        }

        /** The chunk's key in the ledger store: the number of its first entry. */
        long key() {
            return firstNumber;
        }

        int count() {
            return count;
        }

        long newestTimestamp() {
            return newestTimestamp;
        }

        /** Appends the next entry (number {@code key() + count()}). */
        void append(String eventId, long timestamp, byte[] entry) {
            byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
            int needed = length + 8 + 4 + id.length + 4 + entry.length;
            if (needed > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(needed, 2 * bytes.length));
            }
            ByteBuffer out = ByteBuffer.wrap(bytes, length, needed - length);
            out.putLong(timestamp).putInt(id.length).put(id).putInt(entry.length).put(entry);
            length = needed;
            count++;
            newestTimestamp = Math.max(newestTimestamp, timestamp);
        }

        /** The chunk as it stands, encoded (a new array each time: the store's cache keeps it). */
        byte[] toBytes() {
            byte[] chunk = Arrays.copyOf(bytes, length);
            ByteBuffer.wrap(chunk).put(FORMAT).putLong(firstNumber).putInt(count).putLong(newestTimestamp);
            return chunk;
        }
    }
}
