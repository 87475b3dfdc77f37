package dev.streamtune.contracts;

import java.util.Objects;
import java.util.Set;

/** One turn of a chat prompt: {@code role} is {@code system}, {@code user} or {@code assistant}. */
public record ChatMessage(String role, String content) {
    /** The roles a turn may have. */
    public static final Set<String> ROLES = Set.of("system", "user", "assistant");

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("role must be one of " + ROLES + ", got " + role);
        }
    }
}
