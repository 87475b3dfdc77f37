package dev.streamtune.ingest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An in-memory filter in front of the ledger's dedupe lookup: per hour of ledger timestamp, Bloom
 * filters over every event id the task's ledger holds, so that an id the filters have never seen
 * (the common case: a new event) is known not to be in the ledger without touching RocksDB.
 *
 * <p>Only a negative answer is used, and it is certain as long as every id in the ledger was
 * {@linkplain #add added} under its timestamp: {@link IngestProcessor} adds the whole restored ledger
 * when the task is initialised (so after a restart, rebalance or restoration the filter is rebuilt
 * from the store, never from anything else) and each id it puts afterwards, before the put. A
 * filter holding more than the ledger (an aborted transaction's ids, entries of dropped segments)
 * only costs a store lookup. "Maybe" answers fall through to the store, which decides; so
 * correctness never depends on the filter.
 *
 * <p>Bounded: filters of hours that have left the dedupe window are dropped; within an hour, each
 * new filter holds twice as many ids as the one before (16 bits per id, well under 1% false
 * positives); and when the filters would exceed {@code maxBytes}, the hour stops being filtered
 * (every lookup reaching it goes to the store) instead of growing further. Not thread-safe (one
 * per stream task).
 */
final class SeenIds {
    private static final int HASHES = 5;
    private static final int BITS_PER_ID = 16;
    private static final int FIRST_CAPACITY = 1 << 16;

    private final long maxBytes;
    private final TreeMap<Long, Hour> hours = new TreeMap<>();
    private long bytes;
    private long lastHour = Long.MIN_VALUE;
    private Hour lastFilters;

    SeenIds(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Remembers that the ledger holds {@code id} at {@code timestampMs}. */
    void add(String id, long timestampMs) {
        long hour = RateLimiter.hourOf(timestampMs);
        Hour filters = hour == lastHour ? lastFilters : hours.get(hour);
        if (filters == null) {
            filters = new Hour();
            hours.put(hour, filters);
        }
        lastHour = hour;
        lastFilters = filters;
        if (filters.unfiltered) {
            return;
        }
        Bloom last = filters.blooms.isEmpty() ? null : filters.blooms.get(filters.blooms.size() - 1);
        if (last == null || last.count >= last.capacity) {
            int capacity = last == null ? FIRST_CAPACITY : (int) Math.min(1 << 30, 2L * last.capacity);
            long size = Bloom.bytesFor(capacity);
            if (bytes + size > maxBytes) {
                filters.unfiltered = true; // lookups reaching this hour go to the store
                bytes -= filters.bytes();
                filters.blooms.clear();
                return;
            }
            last = new Bloom(capacity);
            filters.blooms.add(last);
            bytes += size;
        }
        last.add(hash(id));
    }

    /**
     * False when the ledger certainly holds no entry for {@code id} at {@code fromMs} or later;
     * true when it may (the store decides). Drops the filters of hours before {@code fromMs}'s,
     * which later lookups (from a stream time that never goes back) no longer reach.
     */
    boolean mightContain(String id, long fromMs) {
        if (hours.isEmpty()) {
            return false;
        }
        long fromHour = RateLimiter.hourOf(fromMs);
        if (hours.firstKey() < fromHour) {
            Iterator<Map.Entry<Long, Hour>> old = hours.headMap(fromHour, false).entrySet().iterator();
            while (old.hasNext()) {
                Hour dropped = old.next().getValue();
                bytes -= dropped.bytes();
                if (dropped == lastFilters) {
                    lastHour = Long.MIN_VALUE;
                    lastFilters = null;
                }
                old.remove();
            }
            if (hours.isEmpty()) {
                return false;
            }
        }
        long h = hash(id);
        for (Hour filters : hours.values()) {
            if (filters.unfiltered) {
                return true;
            }
            for (Bloom bloom : filters.blooms) {
                if (bloom.mightContain(h)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A 64-bit hash of the id's chars (FNV-1a, then murmur3's finaliser). */
    static long hash(String id) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = id.length(); i < n; i++) {
            h = (h ^ id.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static final class Hour {
        final List<Bloom> blooms = new ArrayList<>(4);
        boolean unfiltered;

        long bytes() {
            long total = 0;
            for (Bloom bloom : blooms) {
                total += bloom.words.length * 8L;
            }
            return total;
        }
    }

    /**
     * A blocked Bloom filter: a power-of-two number of 64-bit words; an id sets {@value #HASHES} bits
     * of one word (the word chosen by the hash's high half, the bits by 6-bit slices of its low
     * half), so a lookup reads one word instead of one per hash.
     */
    private static final class Bloom {
        final long[] words;
        final long mask;
        final int capacity;
        int count;

        Bloom(int capacity) {
            this.capacity = capacity;
            this.words = new long[(int) (bytesFor(capacity) / 8)];
            this.mask = words.length - 1;
        }

        static long bytesFor(int capacity) {
            long bits = Long.highestOneBit((long) capacity * BITS_PER_ID - 1) << 1;
            return Math.max(64, bits) / 8;
        }

        void add(long h) {
            words[word(h)] |= bits(h);
            count++;
        }

        boolean mightContain(long h) {
            long bits = bits(h);
            return (words[word(h)] & bits) == bits;
        }

        private int word(long h) {
            return (int) ((h >>> 32) & mask);
        }

        private static long bits(long h) {
            long bits = 0;
            for (int i = 0; i < HASHES; i++) {
                bits |= 1L << (h >>> (6 * i));
            }
            return bits;
        }
    }
}
