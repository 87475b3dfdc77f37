package dev.streamtune.contracts;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns an HH-RLHF dialogue pair into a preference event (test helper). */
final class HhRlhf {
    private static final Pattern TURN =
            Pattern.compile("\\n\\n(Human|Assistant):", Pattern.MULTILINE);

    private HhRlhf() {}

    /** The shared turns become messages; the differing last replies, chosen and rejected. */
    static FeedbackEvent toEvent(int index, String chosen, String rejected) {
        List<ChatMessage> chosenTurns = turns(chosen);
        List<ChatMessage> rejectedTurns = turns(rejected);
        if (chosenTurns.size() < 2 || rejectedTurns.size() < 2) {
            return null;
        }
        List<ChatMessage> prompt = chosenTurns.subList(0, chosenTurns.size() - 1);
        String chosenReply = chosenTurns.get(chosenTurns.size() - 1).content();
        String rejectedReply = rejectedTurns.get(rejectedTurns.size() - 1).content();
        if (chosenReply.equals(rejectedReply)) {
            return null;
        }
        return FeedbackEvent.preference("hh-" + index, "2026-11-27T09:00:00Z", "harmless-assistant",
                "hh-user-" + (index % 97), prompt, chosenReply, rejectedReply);
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
