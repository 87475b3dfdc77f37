package dev.streamtune.ingest;

import dev.streamtune.contracts.ChatMessage;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Feedback events for tests, as the bytes an app would produce. */
final class Events {
    static final String TIME = "2026-11-27T09:00:00Z";

    private Events() {}

    static FeedbackEvent demonstration(String id, String adapter, String user) {
        return FeedbackEvent.demonstration(id, TIME, adapter, user, "Draft a reply to Sam about " + id,
                "Hi Sam, Friday works for me. (" + id + ")");
    }

    static FeedbackEvent correction(String id, String adapter, String user) {
        return FeedbackEvent.correction(id, TIME, adapter, user, "Draft a reply to Sam", "Hi Sam, ...",
                "Hello Sam, ... (" + id + ")");
    }

    static FeedbackEvent rating(String id, String adapter, String user, int rating) {
        return FeedbackEvent.rating(id, TIME, adapter, user, "Summarise the thread", "They agreed on Friday.",
                rating);
    }

    static FeedbackEvent preference(String id, String adapter, String user) {
        return FeedbackEvent.preference(id, TIME, adapter, user,
                List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Plan my day")),
                "Gym, then work.", "Work all day.");
    }

    static byte[] bytes(FeedbackEvent event) {
        return Json.toBytes(event);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A valid event's JSON with one field replaced by raw JSON ({@code null} removes it). */
    static byte[] withField(FeedbackEvent event, String field, String rawJson) {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().valueToTree(event);
        if (rawJson == null) {
            tree.remove(field);
        } else {
            try {
                tree.set(field, Json.mapper().readTree(rawJson));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(e);
            }
        }
        return Json.toBytes(tree);
    }
}
