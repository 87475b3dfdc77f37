package dev.streamtune.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Anthropic's HH-RLHF human preference data as feedback: each line holds two dialogues written
 * {@code \n\nHuman: … \n\nAssistant: …} that share every turn but the last assistant reply. Used as
 * real, messy input for tests and for {@code streamtune bench ingest --workload hh-rlhf}.
 */
public final class HhRlhf {
    private static final Pattern TURN = Pattern.compile("\\n\\n(Human|Assistant):", Pattern.MULTILINE);

    /** One line of the data set: the preferred dialogue and the other. */
    public record Pair(String chosen, String rejected) {}

    private HhRlhf() {}

    /** The pairs of a JSON-lines file ({@code chosen}, {@code rejected}), gzip-compressed when its name ends in .gz. */
    public static List<Pair> read(Path file) throws IOException {
        List<Pair> pairs = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             BufferedReader reader = new BufferedReader(new InputStreamReader(
                     file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                JsonNode pair = Json.mapper().readTree(line);
                pairs.add(new Pair(pair.path("chosen").asText(), pair.path("rejected").asText()));
            }
        }
        return pairs;
    }

    /**
     * A preference event: the shared turns become chat {@code messages}, the two last replies
     * {@code chosen} and {@code rejected}. Null when the pair is not a preference (identical replies, or
     * a dialogue without a turn before the reply).
     */
    public static FeedbackEvent toEvent(Pair pair, String id, String time, String adapter, String user) {
        List<ChatMessage> chosenTurns = turns(pair.chosen());
        List<ChatMessage> rejectedTurns = turns(pair.rejected());
        if (chosenTurns.size() < 2 || rejectedTurns.size() < 2) {
            return null;
        }
        List<ChatMessage> prompt = chosenTurns.subList(0, chosenTurns.size() - 1);
        String chosenReply = chosenTurns.get(chosenTurns.size() - 1).content();
        String rejectedReply = rejectedTurns.get(rejectedTurns.size() - 1).content();
        if (chosenReply.equals(rejectedReply)) {
            return null;
        }
        return FeedbackEvent.preference(id, time, adapter, user, prompt, chosenReply, rejectedReply);
    }

    private static List<ChatMessage> turns(String dialogue) {
        List<ChatMessage> turns = new ArrayList<>();
        Matcher matcher = TURN.matcher(dialogue);
        String role = null;
        int start = 0;
        while (matcher.find()) {
            if (role != null) {
                turns.add(new ChatMessage(role, dialogue.substring(start, matcher.start()).strip()));
            }
            role = matcher.group(1).equals("Human") ? "user" : "assistant";
            start = matcher.end();
        }
        if (role != null) {
            turns.add(new ChatMessage(role, dialogue.substring(start).strip()));
        }
        return turns;
    }
}
