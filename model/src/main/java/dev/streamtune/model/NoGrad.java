package dev.streamtune.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns PyTorch's autograd recording off for the current thread until closed, then restores it.
 *
 * <p>PyTorch's grad mode is per thread and on by default; DJL only switches it off on the thread that
 * started the engine. Evaluation and generation run under this guard so that adapters whose weights
 * require gradients (while a trainer owns them) never build autograd graphs on serving threads.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;

    private NoGrad() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    /** Starts a no-grad region on this thread. */
    public static NoGrad enter() {
        return new NoGrad();
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
