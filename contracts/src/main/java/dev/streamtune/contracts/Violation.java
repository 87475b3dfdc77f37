package dev.streamtune.contracts;

import java.util.Objects;

/**
  * One rule an event breaks.
  *
  * @param reason the machine-readable reason
  * @param field the JSON pointer of the offending field ({@code ""} for the whole event), e.g.
  *     {@code /messages/2/role}
  * @param detail a human-readable explanation
  */
public record Violation(Reason reason, String field, String detail) {
    public Violation {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String toString() {
        return reason.code() + (field.isEmpty() ? "" : " at " + field) + ": " + detail;
    }
}
