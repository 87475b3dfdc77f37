package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class FeedbackValidatorTest {
    private final FeedbackValidator validator = new FeedbackValidator();

    @ParameterizedTest
    @MethodSource("dev.streamtune.contracts.Corpus#valid")
    void acceptsEveryValidCorpusEvent(JsonNode event) {
        ValidationResult result = validator.validate(bytes(event));
        assertTrue(result.isValid(), () -> result.describe());
    }

    @ParameterizedTest
    @MethodSource("dev.streamtune.contracts.Corpus#invalid")
    void refusesEveryInvalidCorpusEventForItsReason(Corpus.Invalid invalid) {
        ValidationResult result = validator.validate(bytes(invalid.event()));
        assertFalse(result.isValid());
        Set<String> reasons =
                result.violations().stream().map(v -> v.reason().code()).collect(Collectors.toSet());
        assertTrue(reasons.contains(invalid.expectedReason()),
                () -> "expected " + invalid.expectedReason() + ", got " + result.describe());
    }

    @Test
    void corpusCoversEveryReasonTheValidatorCanGive() {
        Set<String> covered = Corpus.invalid().stream().map(Corpus.Invalid::expectedReason)
                .collect(Collectors.toSet());
        Set<String> validatorReasons = Stream.of(Reason.values())
                .filter(r -> r != Reason.UNPARSABLE && r != Reason.INVALID_UTF8
                        && r != Reason.OVERSIZE_EVENT && r != Reason.UNKNOWN_ADAPTER
                        && r != Reason.RATE_LIMITED && r != Reason.PROCESSING_FAILED)
                .map(Reason::code).collect(Collectors.toSet());
        assertEquals(validatorReasons, covered);
    }

    @Test
    void validEventRoundTripsThroughJson() {
        for (JsonNode node : Corpus.valid()) {
            FeedbackEvent event = validator.validate(bytes(node)).event();
            ValidationResult again = validator.validate(Json.toBytes(event));
            assertTrue(again.isValid(), again::toString);
            assertEquals(event, again.event());
        }
    }

    @Test
    void reportsEveryViolationNotJustTheFirst() {
        ObjectNode event = (ObjectNode) Corpus.valid().get(0).deepCopy();
        event.put("adapter", "Bad Adapter");
        event.put("time", "never");
        event.put("prompt", "");
        event.remove("completion");
        event.put("surprise", true);
        ValidationResult result = validator.validate(bytes(event));
        List<String> reasons = result.violations().stream().map(v -> v.reason().code()).toList();
        assertEquals(Set.of("invalid-adapter", "invalid-time", "empty-text", "missing-field",
                "unknown-field"), Set.copyOf(reasons), result::describe);
        assertEquals(5, reasons.size(), result::describe);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "[1,2]", "\"text\"", "{\"a\":1} trailing", "{\"id\":\"a\",\"id\":\"b\"}", "{"})
    void unparsableInputIsRefusedAsUnparsable(String text) {
        ValidationResult result = validator.validate(text.getBytes(StandardCharsets.UTF_8));
        assertFalse(result.isValid());
        assertEquals(Reason.UNPARSABLE, result.primaryReason(), result::describe);
    }

    @Test
    void invalidUtf8IsRefused() {
        byte[] good = bytes(Corpus.valid().get(0));
        byte[] bad = new byte[good.length + 2];
        System.arraycopy(good, 0, bad, 0, good.length - 2);
        // Splice a lone continuation byte and an overlong encoding into the last string value.
        bad[good.length - 2] = (byte) 0x80;
        bad[good.length - 1] = (byte) 0xC0;
        bad[good.length] = good[good.length - 2];
        bad[good.length + 1] = good[good.length - 1];
        ValidationResult result = validator.validate(bad);
        assertEquals(Reason.INVALID_UTF8, result.primaryReason(), result::describe);
    }

    @Test
    void oversizeEventIsRefusedEvenWhenEveryFieldFits() {
        FeedbackValidator tight = new FeedbackValidator(new ValidationLimits(1000, 1500, 256));
        ObjectNode event = (ObjectNode) Corpus.valid().get(0).deepCopy();
        event.put("prompt", "p".repeat(900));
        event.put("completion", "c".repeat(900));
        ValidationResult result = tight.validate(bytes(event));
        assertEquals(Reason.OVERSIZE_EVENT, result.primaryReason(), result::describe);
        assertTrue(validator.validate(bytes(event)).isValid());
    }

    @Test
    void fieldLimitCountsUtf8BytesNotCharacters() {
        FeedbackValidator tight = new FeedbackValidator(new ValidationLimits(10, 10_000, 256));
        ObjectNode event = (ObjectNode) Corpus.valid().get(0).deepCopy();
        event.put("completion", "short");
        event.put("prompt", "ééééé"); // 5 characters, 10 bytes: fits
        assertTrue(tight.validate(bytes(event)).isValid());
        event.put("prompt", "éééééé"); // 6 characters, 12 bytes: too long
        assertEquals(Reason.OVERSIZE_FIELD, tight.validate(bytes(event)).primaryReason());
    }

    @Test
    void tooManyChatTurnsAreRefused() {
        FeedbackValidator tight = new FeedbackValidator(new ValidationLimits(100, 10_000, 2));
        ObjectNode event = (ObjectNode) Corpus.valid().get(0).deepCopy();
        event.remove("prompt");
        var turns = event.putArray("messages");
        for (int i = 0; i < 3; i++) {
            turns.addObject().put("role", "user").put("content", "turn " + i);
        }
        assertEquals(Reason.INVALID_VALUE, tight.validate(bytes(event)).primaryReason());
    }

    @Test
    void limitsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new ValidationLimits(0, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new ValidationLimits(100, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new ValidationLimits(10, 10, 0));
    }

    @Test
    void resultHoldsEitherEventOrViolations() {
        ValidationResult valid = validator.validate(bytes(Corpus.valid().get(0)));
        assertThrows(IllegalStateException.class, valid::primaryReason);
        assertTrue(valid.violations().isEmpty());
    }

    static byte[] bytes(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}
