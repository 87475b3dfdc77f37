package dev.streamtune.app;

import java.util.concurrent.CountDownLatch;

/**
 * Lets a long-running command stop cleanly on Ctrl-C or SIGTERM: a JVM shutdown hook requests the stop
 * and then waits until the command has closed everything, so the JVM does not exit under it.
 *
 * <pre>{@code
 * try (ShutdownSignal signal = ShutdownSignal.install("streamtune-up")) {
 *     ... start things ...
 *     signal.awaitStopRequest();
 * } // close(): everything before it is closed; the hook may let the JVM exit
 * }</pre>
 */
final class ShutdownSignal implements AutoCloseable {
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook;

    private ShutdownSignal(String name) {
        this.hook = new Thread(this::requestStopAndAwait, name + "-shutdown");
    }

    /** Registers the shutdown hook. */
    static ShutdownSignal install(String name) {
        ShutdownSignal signal = new ShutdownSignal(name);
        Runtime.getRuntime().addShutdownHook(signal.hook);
        return signal;
    }

    /** Blocks until a stop is requested (by the hook or {@link #requestStopAndAwait()}). */
    void awaitStopRequest() throws InterruptedException {
        stopRequested.await();
    }

    /** Requests a stop and waits until the command has closed (what the hook does; tests call it too). */
    void requestStopAndAwait() {
        stopRequested.countDown();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Marks the command stopped and removes the hook (unless the JVM is already running it). */
    @Override
    public void close() {
        stopped.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down: the hook itself asked us to stop.
        }
    }
}
