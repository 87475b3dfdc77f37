package dev.streamtune.ingest;

import dev.streamtune.contracts.ChatMessage;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.FeedbackKind;
import dev.streamtune.contracts.Json;
import dev.streamtune.contracts.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A deterministic stream of realistic feedback records, as apps would produce them, for the
 * integration tests and {@code streamtune bench ingest}: a mix of kinds with prompts and
 * completions of a few hundred bytes, some personal data to redact, a share of invalid records
 * (each with the reason the topology must give), duplicates of earlier valid events, and one
 * user who floods.
 *
 * @param count how many records
 * @param invalidFraction share of records that are invalid, 0..1
 * @param duplicateFraction share of records that repeat an earlier valid event, 0..1
 * @param adapters the adapter ids events are spread over
 * @param users how many ordinary users
 * @param floodFraction share of valid events that come from the one flooding user {@value #FLOOD_USER}
 * @param seed the random seed: the same parameters give the same records
 */
public record SyntheticFeedback(int count, double invalidFraction, double duplicateFraction,
        List<String> adapters, int users, double floodFraction, long seed) {

    /** The user who floods. */
    public static final String FLOOD_USER = "u-flood";

    public SyntheticFeedback {
        adapters = List.copyOf(adapters);
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException("at least one adapter");
        }
    }

    /** What a generated record is, and what ingest must do with it. */
    public enum Expectation {
        /** A valid event seen for the first time. */
        VALID,
        /** A valid event whose id was already sent. */
        DUPLICATE,
        /** Invalid: must reach the dead-letter topic with {@link Record#reason()}. */
        INVALID
    }

    /**
     * One record to produce.
     *
     * @param key the record key (the adapter id, except for some invalid records)
     * @param value the record value
     * @param expectation what ingest must do with it
     * @param eventId the event id (null for invalid records)
     * @param reason for invalid records, the dead-letter reason expected
     */
    public record Record(byte[] key, byte[] value, Expectation expectation, String eventId, Reason reason) {}

    /** Generates the records. */
    public List<Record> generate() {
        Random random = new Random(seed);
        List<Record> records = new ArrayList<>(count);
        List<Record> valid = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            double dice = random.nextDouble();
            if (dice < invalidFraction) {
                records.add(invalid(random, i));
            } else if (dice < invalidFraction + duplicateFraction && !valid.isEmpty()) {
                Record original = valid.get(random.nextInt(valid.size()));
                records.add(new Record(original.key(), original.value(), Expectation.DUPLICATE,
                        original.eventId(), null));
            } else {
                FeedbackEvent event = event(random, i);
                Record record = new Record(utf8(event.adapter()), Json.toBytes(event), Expectation.VALID,
                        event.id(), null);
                valid.add(record);
                records.add(record);
            }
        }
        return records;
    }

    private FeedbackEvent event(Random random, int index) {
        String id = String.format("ev-%d-%08d", seed, index);
        String adapter = adapters.get(random.nextInt(adapters.size()));
        String user = random.nextDouble() < floodFraction ? FLOOD_USER : "u-" + random.nextInt(users);
        String time = Instant.ofEpochSecond(1_795_770_000L + index).toString();
        String prompt = text(random, 80, 500);
        List<ChatMessage> messages = null;
        if (random.nextInt(4) == 0) {
            messages = List.of(new ChatMessage("system", "You draft concise, friendly e-mails."),
                    new ChatMessage("user", prompt));
            prompt = null;
        }
        Map<String, String> metadata = Map.of("app", "mail", "locale", "en");
        int kind = random.nextInt(10);
        if (kind < 3) {
            return new FeedbackEvent(FeedbackEvent.SCHEMA_V1, id, time, adapter, user,
                    FeedbackKind.CORRECTION, prompt, messages, null, text(random, 100, 600),
                    text(random, 100, 600), null, null, null, adapter + "@7", metadata);
        } else if (kind < 6) {
            return new FeedbackEvent(FeedbackEvent.SCHEMA_V1, id, time, adapter, user, FeedbackKind.RATING,
                    prompt, messages, null, text(random, 100, 600), null, random.nextBoolean() ? 1 : -1, null,
                    null, adapter + "@7", metadata);
        } else if (kind < 8) {
            return new FeedbackEvent(FeedbackEvent.SCHEMA_V1, id, time, adapter, user,
                    FeedbackKind.DEMONSTRATION, prompt, messages, text(random, 100, 600), null, null, null, null,
                    null, null, metadata);
        }
        return new FeedbackEvent(FeedbackEvent.SCHEMA_V1, id, time, adapter, user, FeedbackKind.PREFERENCE,
                prompt, messages, null, null, null, null, text(random, 100, 600), text(random, 100, 600), null,
                metadata);
    }

    private Record invalid(Random random, int index) {
        String adapter = adapters.get(random.nextInt(adapters.size()));
        FeedbackEvent event = FeedbackEvent.demonstration(String.format("bad-%d-%08d", seed, index),
                Instant.ofEpochSecond(1_795_770_000L + index).toString(), adapter, "u-" + random.nextInt(users),
                text(random, 50, 200), text(random, 50, 200));
        String json = Json.toString(event);
        return switch (random.nextInt(7)) {
            case 0 -> new Record(utf8(adapter), utf8(json.substring(0, json.length() / 2)), Expectation.INVALID,
                    null, Reason.UNPARSABLE);
            case 1 -> new Record(utf8(adapter), utf8(json.replace("\"user\":", "\"usr\":")),
                    Expectation.INVALID, null, Reason.UNKNOWN_FIELD);
            case 2 -> new Record(utf8(adapter), utf8(json.replace("\"demonstration\"", "\"thumbs-up\"")),
                    Expectation.INVALID, null, Reason.UNKNOWN_KIND);
            case 3 -> new Record(utf8(adapter), utf8(json.replaceFirst("\"time\":\"[^\"]*\"",
                    "\"time\":\"last tuesday\"")), Expectation.INVALID, null, Reason.INVALID_TIME);
            case 4 -> {
                byte[] bytes = utf8(json);
                bytes[bytes.length / 2] = (byte) 0xFF;
                yield new Record(utf8(adapter), bytes, Expectation.INVALID, null, Reason.INVALID_UTF8);
            }
            case 5 -> new Record(utf8("not-" + adapter), utf8(json), Expectation.INVALID, null,
                    Reason.INVALID_ADAPTER);
            default -> new Record(utf8(adapter), utf8(json.replaceFirst("\"completion\":\"[^\"]*\"",
                    "\"completion\":\"  \"")), Expectation.INVALID, null, Reason.EMPTY_TEXT);
        };
    }

    private static final String[] WORDS = ("the meeting on friday works for me thanks for the update "
            + "could you send the draft before noon we agreed to move the launch review budget numbers look "
            + "right please confirm the venue and the agenda I will share the notes after the call").split(" ");

    private static String text(Random random, int minChars, int maxChars) {
        int target = minChars + random.nextInt(maxChars - minChars);
        StringBuilder out = new StringBuilder(target + 16);
        while (out.length() < target) {
            if (out.length() > 0) {
                out.append(' ');
            }
            int pick = random.nextInt(60);
            if (pick == 0) {
                out.append("sam").append(random.nextInt(100)).append("@example.com");
            } else if (pick == 1) {
                out.append("+44 20 7946 ").append(1000 + random.nextInt(9000));
            } else if (pick == 2) {
                out.append("2026-11-").append(10 + random.nextInt(18));
            } else {
                out.append(WORDS[random.nextInt(WORDS.length)]);
            }
        }
        return out.toString();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
