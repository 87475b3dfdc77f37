package dev.streamtune.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
  * One unit of training derived from a feedback event (an event yields one or two; see DESIGN.md):
  * the elements of {@link TrainingBatch}es and the values of {@code eval.holdout}.
  *
  * <table>
  *   <caption>What each feedback kind yields</caption>
  *   <tr><th>event</th><th>examples</th></tr>
  *   <tr><td>demonstration</td><td>SFT(completion)</td></tr>
  *   <tr><td>correction</td><td>SFT(corrected), PREFERENCE(corrected ≻ response)</td></tr>
  *   <tr><td>rating +1</td><td>SFT(response)</td></tr>
  *   <tr><td>rating −1</td><td>UNDESIRABLE(response)</td></tr>
  *   <tr><td>preference</td><td>PREFERENCE(chosen ≻ rejected)</td></tr>
  * </table>
  *
  * @param schema always {@link #SCHEMA_V1}
  * @param exampleId {@code eventId#n}: unique per example, stable across replays
  * @param eventId the feedback event's id (its idempotency key)
  * @param adapter the adapter id
  * @param user the pseudonymous user, kept so a user's data can be found and deleted
  * @param kind how the example teaches
  * @param origin the kind of feedback it came from
  * @param prompt plain-text prompt, or {@code null} when {@code messages} is given
  * @param messages chat prompt, or {@code null} when {@code prompt} is given
  * @param completion SFT and UNDESIRABLE: the completion
  * @param chosen PREFERENCE: the preferred completion
  * @param rejected PREFERENCE: the other one
  * @param source where the feedback event was read from
  * @param time the feedback event's time
  */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingExample(
        String schema,
        String exampleId,
        String eventId,
        String adapter,
        String user,
        ExampleKind kind,
        FeedbackKind origin,
        String prompt,
        List<ChatMessage> messages,
        String completion,
        String chosen,
        String rejected,
        SourceOffset source,
        String time) {

    public static final String SCHEMA_V1 = "streamtune.example/v1";

    public TrainingExample {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(exampleId, "exampleId");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(origin, "origin");
        if ((prompt == null) == (messages == null)) {
            throw new IllegalArgumentException("exactly one of prompt and messages must be given");
        }
        messages = messages == null ? null : List.copyOf(messages);
        if (kind == ExampleKind.PREFERENCE) {
            Objects.requireNonNull(chosen, "chosen");
            Objects.requireNonNull(rejected, "rejected");
        } else {
            Objects.requireNonNull(completion, "completion");
        }
    }
}
