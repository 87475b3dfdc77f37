package dev.streamtune.app;

/**
 * A failure the user can act on (a missing file, an unreachable broker): printed as one line
 * without a stack trace.
 */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    UserError(String message) {
        this(message, 2);
    }

    UserError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
