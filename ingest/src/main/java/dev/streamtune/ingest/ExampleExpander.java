package dev.streamtune.ingest;

import dev.streamtune.contracts.ChatMessage;
import dev.streamtune.contracts.ExampleKind;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.SourceOffset;
import dev.streamtune.contracts.TrainingExample;
import dev.streamtune.contracts.VerbatimTexts;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Turns a feedback event into the training examples it teaches (see {@link TrainingExample}):
 * demonstration → SFT; correction → SFT(corrected) + PREFERENCE(corrected ≻ response); rating +1 →
 * SFT(response); rating −1 → UNDESIRABLE(response); preference → PREFERENCE(chosen ≻ rejected).
 * Example ids are {@code eventId#0}, {@code eventId#1} in that order.
 */
public final class ExampleExpander {
    private ExampleExpander() {}

    /**
     * The examples of {@code event}, optionally with e-mail addresses and phone numbers redacted from
     * every text that is trained on (prompt, chat turns, completions).
     */
    public static List<TrainingExample> expand(FeedbackEvent event, SourceOffset source, boolean redact) {
        UnaryOperator<String> text = redact ? Redactor::redact : UnaryOperator.identity();
        Builder build = new Builder(event, source, text.apply(event.prompt()), messages(event, text));
        return switch (event.kind()) {
            case DEMONSTRATION -> List.of(build.single(ExampleKind.SFT, text.apply(event.completion())));
            case CORRECTION -> {
                String corrected = text.apply(event.corrected());
                yield List.of(build.single(ExampleKind.SFT, corrected),
                        build.pair(corrected, text.apply(event.response())));
            }
            case RATING -> List.of(build.single(
                    event.rating() > 0 ? ExampleKind.SFT : ExampleKind.UNDESIRABLE, text.apply(event.response())));
            case PREFERENCE -> List.of(build.pair(text.apply(event.chosen()), text.apply(event.rejected())));
        };
    }

    /** The event's chat turns, each content through {@code text} (a turn it leaves as it is is kept); null without. */
    private static List<ChatMessage> messages(FeedbackEvent event, UnaryOperator<String> text) {
        List<ChatMessage> messages = event.messages();
        if (messages == null) {
            return null;
        }
        List<ChatMessage> redacted = new ArrayList<>(messages.size());
        for (ChatMessage turn : messages) {
            String content = text.apply(turn.content());
            redacted.add(content == turn.content() ? turn : new ChatMessage(turn.role(), content));
        }
        return redacted;
    }

    /**
      * The same examples as {@link #expand}, serialised as {@code contracts}' JSON (byte for byte
      * what {@code Json.toBytes} writes for each), written directly by {@link ExampleJson}: what
      * ingest puts in batches, the holdout topic and the ledger.
      */
    static List<byte[]> expandSerialised(FeedbackEvent event, SourceOffset source, boolean redact) {
        return expandSerialised(event, VerbatimTexts.NONE, source, redact);
    }

    /**
     * {@link #expandSerialised(FeedbackEvent, SourceOffset, boolean)} for an event validated from bytes:
     * a text that {@code verbatim} holds and redaction leaves as it is is copied from those bytes.
     */
    static List<byte[]> expandSerialised(FeedbackEvent event, VerbatimTexts verbatim, SourceOffset source,
            boolean redact) {
        ExampleJson.PlainTexts plain = redact ? new ExampleJson.PlainTexts() : ExampleJson.PlainTexts.NONE;
        UnaryOperator<String> text = redact ? value -> redacted(value, verbatim, plain) : UnaryOperator.identity();
        ExampleJson json = new ExampleJson(event.id(), event.adapter(), event.user(), event.kind(),
                text.apply(event.prompt()), messages(event, text), source, event.time(), verbatim, plain);
        return switch (event.kind()) {
            case DEMONSTRATION -> List.of(json.single(0, ExampleKind.SFT, text.apply(event.completion())));
            case CORRECTION -> {
                String corrected = text.apply(event.corrected());
                yield List.of(json.single(0, ExampleKind.SFT, corrected),
                        json.pair(1, corrected, text.apply(event.response())));
            }
            case RATING -> List.of(json.single(0, event.rating() > 0 ? ExampleKind.SFT : ExampleKind.UNDESIRABLE,
                    text.apply(event.response())));
            case PREFERENCE -> List.of(json.pair(0, text.apply(event.chosen()), text.apply(event.rejected())));
        };
    }

    /**
     * {@code value} redacted; a verbatim text whose bytes hold nothing redaction looks for is returned as
     * it is without scanning it again (usually the case for real text). A verbatim text with one byte per
     * char in the event is plain ASCII (an escape or a multi-byte char would make its bytes longer), and
     * so is its redaction, which only puts plain placeholders in: noted in {@code plain}.
     */
    private static String redacted(String value, VerbatimTexts verbatim, ExampleJson.PlainTexts plain) {
        int slot = value == null ? -1 : verbatim.find(value);
        if (slot < 0) {
            return Redactor.redact(value);
        }
        int start = verbatim.start(slot);
        int end = verbatim.end(slot);
        if (!Redactor.mightRedact(verbatim.source(), start, end)) {
            return value;
        }
        String redacted = Redactor.redact(value);
        if (redacted != value && end - start == value.length()) {
            plain.add(redacted);
        }
        return redacted;
    }

    /** Numbers the examples of one event as they are built. */
    private static final class Builder {
        private final FeedbackEvent event;
        private final SourceOffset source;
        private final String prompt;
        private final List<ChatMessage> messages;
        private int next;

        Builder(FeedbackEvent event, SourceOffset source, String prompt, List<ChatMessage> messages) {
            this.event = event;
            this.source = source;
            this.prompt = prompt;
            this.messages = messages;
        }

        TrainingExample single(ExampleKind kind, String completion) {
            return example(kind, completion, null, null);
        }

        TrainingExample pair(String chosen, String rejected) {
            return example(ExampleKind.PREFERENCE, null, chosen, rejected);
        }

        private TrainingExample example(ExampleKind kind, String completion, String chosen, String rejected) {
            return new TrainingExample(TrainingExample.SCHEMA_V1, event.id() + "#" + next++, event.id(),
                    event.adapter(), event.user(), kind, event.kind(), prompt, messages, completion, chosen,
                    rejected, source, event.time());
        }
    }
}
