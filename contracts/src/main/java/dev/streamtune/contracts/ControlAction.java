package dev.streamtune.contracts;

/** What an operator (or the evaluator) tells the registry to do with an adapter. */
public enum ControlAction {
    /** Serve {@code version} from now on (the evaluator issues this when a candidate wins). */
    PROMOTE,
    /** Mark candidate {@code version} as rejected; it is never served. */
    REJECT,
    /** Serve the previously promoted version, or {@code version} if named; training follows. */
    ROLLBACK,
    /** Keep serving {@code version} whatever is promoted later, until {@link #UNPIN}. */
    PIN,
    /** Undo {@link #PIN}: the latest promoted version is served again. */
    UNPIN,
    /** Stop training this adapter (serving is unchanged). */
    PAUSE,
    /** Undo {@link #PAUSE}. */
    RESUME
}
