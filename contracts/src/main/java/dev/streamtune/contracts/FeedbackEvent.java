package dev.streamtune.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
  * A validated piece of user feedback: the value of {@code feedback.events}, keyed by adapter id.
  *
  * <p>Instances come from {@link FeedbackValidator#validate(byte[])} (which checks every rule of
  * {@code feedback.schema.json}) or from code that produces events; the constructor checks only the
  * structural invariants (exactly one of {@code prompt}/{@code messages}, the kind's fields present).
  * Fields that the kind does not use are {@code null}.
  *
  * @param schema always {@link #SCHEMA_V1}
  * @param id idempotency key, unique per event (a ULID, say)
  * @param time when the feedback was given, RFC 3339 with offset, e.g. {@code 2026-11-27T09:00:00Z}
  * @param adapter the adapter (task or tenant) this feedback trains, e.g. {@code acme/scheduling}
  * @param user pseudonymous user id, used for rate limits and deletion
  * @param prompt the prompt as plain text, or {@code null} when {@code messages} is given
  * @param messages the prompt as chat turns, or {@code null} when {@code prompt} is given
  * @param completion demonstration: the ideal completion
  * @param response correction and rating: what the model served
  * @param corrected correction: the user's corrected text
  * @param rating rating: +1 or −1
  * @param chosen preference: the preferred completion
  * @param rejected preference: the other completion
  * @param servedBy optional {@code adapter@version} that produced {@code response}
  * @param metadata optional free-form string pairs (app, locale…), never used for training
  */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeedbackEvent(
        String schema,
        String id,
        String time,
        String adapter,
        String user,
        FeedbackKind kind,
        String prompt,
        List<ChatMessage> messages,
        String completion,
        String response,
        String corrected,
        Integer rating,
        String chosen,
        String rejected,
        String servedBy,
        Map<String, String> metadata) {

    /** The only schema version this release reads and writes. */
    public static final String SCHEMA_V1 = "streamtune.feedback/v1";

    public FeedbackEvent {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(kind, "kind");
        if ((prompt == null) == (messages == null)) {
            throw new IllegalArgumentException("exactly one of prompt and messages must be given");
        }
        messages = messages == null ? null : List.copyOf(messages);
        metadata = metadata == null ? null : Map.copyOf(metadata);
        switch (kind) {
            case DEMONSTRATION -> Objects.requireNonNull(completion, "completion");
            case CORRECTION -> {
                Objects.requireNonNull(response, "response");
                Objects.requireNonNull(corrected, "corrected");
            }
            case RATING -> {
                Objects.requireNonNull(response, "response");
                Objects.requireNonNull(rating, "rating");
            }
            case PREFERENCE -> {
                Objects.requireNonNull(chosen, "chosen");
                Objects.requireNonNull(rejected, "rejected");
            }
        }
    }

    /** A demonstration event with a plain-text prompt. */
    public static FeedbackEvent demonstration(
            String id, String time, String adapter, String user, String prompt, String completion) {
        return new FeedbackEvent(SCHEMA_V1, id, time, adapter, user, FeedbackKind.DEMONSTRATION,
                prompt, null, completion, null, null, null, null, null, null, null);
    }

    /** A correction event with a plain-text prompt. */
    public static FeedbackEvent correction(
            String id, String time, String adapter, String user, String prompt, String response,
            String corrected) {
        return new FeedbackEvent(SCHEMA_V1, id, time, adapter, user, FeedbackKind.CORRECTION,
                prompt, null, null, response, corrected, null, null, null, null, null);
    }

    /** A rating event (+1 or −1) with a plain-text prompt. */
    public static FeedbackEvent rating(
            String id, String time, String adapter, String user, String prompt, String response,
            int rating) {
        return new FeedbackEvent(SCHEMA_V1, id, time, adapter, user, FeedbackKind.RATING,
                prompt, null, null, response, null, rating, null, null, null, null);
    }

    /** A preference event with chat messages as the prompt. */
    public static FeedbackEvent preference(
            String id, String time, String adapter, String user, List<ChatMessage> messages,
            String chosen, String rejected) {
        return new FeedbackEvent(SCHEMA_V1, id, time, adapter, user, FeedbackKind.PREFERENCE,
                null, messages, null, null, null, null, chosen, rejected, null, null);
    }
}
