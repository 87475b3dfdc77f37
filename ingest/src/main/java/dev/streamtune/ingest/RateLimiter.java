package dev.streamtune.ingest;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-user, per-adapter counts of accepted events and examples in the current hour of stream time,
 * and the decision whether one more event is admitted under {@link IngestConfig.RateLimit}.
 *
 * <p>Held in memory only: the counts are a fold over the ledger's accepted entries of the current
 * hour, rebuilt from the (changelogged) ledger when a task starts, so they cost no store write of
 * their own. Not thread-safe (one instance per stream task).
 */
final class RateLimiter {
    static final long HOUR_MS = 3_600_000L;

    private final IngestConfig.RateLimit limits;
    private final Map<String, AdapterHour> adapters = new HashMap<>();

    RateLimiter(IngestConfig.RateLimit limits) {
        this.limits = limits;
    }

    static long hourOf(long timestampMs) {
        return Math.floorDiv(timestampMs, HOUR_MS);
    }

    /**
     * Whether {@code user} may add an event with {@code examples} examples to {@code adapter} in
     * {@code hour}; {@code null} when admitted, else why not.
     */
    String refusal(String adapter, String user, long hour, int examples) {
        AdapterHour counts = adapters.get(adapter);
        if (counts == null || counts.hour != hour) {
            return null; // a fresh hour: nobody has contributed yet, and one event is never too many
        }
        return check(adapter, user, counts, counts.users.get(user), examples);
    }

    /** Why {@code user}'s next event of {@code examples} breaks a limit of this hour, or null. */
    private String check(String adapter, String user, AdapterHour counts, UserCounts mine, int examples) {
        int userEvents = mine == null ? 0 : mine.events;
        long userExamples = mine == null ? 0 : mine.examples;
        if (userEvents + 1 > limits.maxUserEventsPerHour()) {
            return "user " + user + " already gave " + userEvents + " events to " + adapter
                    + " this hour (limit " + limits.maxUserEventsPerHour() + ")";
        }
        if (counts.examples >= limits.shareAppliesFrom()
                && userExamples + examples > limits.maxUserShare() * (counts.examples + examples)) {
            return "user " + user + " would hold " + (userExamples + examples) + " of "
                    + (counts.examples + examples) + " examples of " + adapter + " this hour (limit "
                    + Math.round(limits.maxUserShare() * 100) + "%)";
        }
        return null;
    }

    /**
     * {@link #refusal} and, when admitted, {@link #record} in one go (one lookup of the adapter and
     * of the user instead of two each): {@code null} when admitted and counted, else why not.
     */
    String admit(String adapter, String user, long hour, int examples) {
        AdapterHour counts = adapters.get(adapter);
        boolean fresh = false;
        if (counts == null || counts.hour < hour) {
            counts = new AdapterHour(hour);
            adapters.put(adapter, counts);
            fresh = true;
        } else if (counts.hour > hour) {
            return null; // admitted (refusal: not the adapter's hour), not counted (record ignores it)
        }
        UserCounts mine = counts.users.get(user);
        if (!fresh) {
            String refusal = check(adapter, user, counts, mine, examples);
            if (refusal != null) {
                return refusal;
            }
        }
        if (mine == null) {
            mine = new UserCounts();
            counts.users.put(user, mine);
        }
        counts.examples += examples;
        mine.events++;
        mine.examples += examples;
        return null;
    }

    /** Counts an accepted event; events of hours before the adapter's current one are ignored. */
    void record(String adapter, String user, long hour, int examples) {
        AdapterHour counts = adapters.get(adapter);
        if (counts == null || counts.hour < hour) {
            counts = new AdapterHour(hour);
            adapters.put(adapter, counts);
        } else if (counts.hour > hour) {
            return;
        }
        counts.examples += examples;
        UserCounts mine = counts.users.computeIfAbsent(user, u -> new UserCounts());
        mine.events++;
        mine.examples += examples;
    }

    private static final class AdapterHour {
        final long hour;
        final Map<String, UserCounts> users = new HashMap<>();
        long examples;

        AdapterHour(long hour) {
            this.hour = hour;
        }
    }

    private static final class UserCounts {
        int events;
        long examples;
    }
}
