package dev.streamtune.contracts;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
  * The outcome of validating raw bytes as a feedback event: either the event, or every rule it
  * breaks (never both, never neither); for a valid event, which of its texts can be copied from the
  * bytes as they are ({@link VerbatimTexts}, {@link VerbatimTexts#NONE} when none).
  */
public record ValidationResult(FeedbackEvent event, List<Violation> violations, VerbatimTexts verbatim) {
    public ValidationResult {
        violations = List.copyOf(violations);
        Objects.requireNonNull(verbatim, "verbatim");
        if ((event == null) == violations.isEmpty()) {
            throw new IllegalArgumentException("a result holds either an event or violations");
        }
    }

    static ValidationResult valid(FeedbackEvent event) {
        return valid(event, VerbatimTexts.NONE);
    }

    static ValidationResult valid(FeedbackEvent event, VerbatimTexts verbatim) {
        return new ValidationResult(Objects.requireNonNull(event), List.of(), verbatim);
    }

    static ValidationResult invalid(List<Violation> violations) {
        return new ValidationResult(null, violations, VerbatimTexts.NONE);
    }

    public boolean isValid() {
        return event != null;
    }

    /** The first violation's reason: what a dead-letter record is filed under. */
    public Reason primaryReason() {
        if (isValid()) {
            throw new IllegalStateException("a valid event has no reason");
        }
        return violations.get(0).reason();
    }

    /** All violations on one line, for logs, the CLI and the dead-letter detail header. */
    public String describe() {
        return violations.stream().map(Violation::toString).collect(Collectors.joining("; "));
    }
}
