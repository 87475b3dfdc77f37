package dev.streamtune.app;

import dev.streamtune.ingest.IngestService;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * A command that runs until Ctrl-C or SIGTERM ({@code up}, {@code ingest}): it installs a
 * {@link ShutdownSignal} when it starts, and {@link #stopAndAwait()} stops it the same way from a
 * test.
 */
abstract class LongRunningCommand implements Callable<Integer> {
    /** How long a stage may take to start before the command gives up. */
    static final Duration STAGE_START_TIMEOUT = Duration.ofSeconds(60);

    private final CountDownLatch started = new CountDownLatch(1);
    private volatile ShutdownSignal signal;

    /** Installs the shutdown hook for this run; call once, first thing in {@code call()}. */
    protected ShutdownSignal installShutdownSignal(String name) {
        signal = ShutdownSignal.install(name);
        started.countDown();
        return signal;
    }

    /** Asks the running command to stop and waits until it has closed everything. */
    void stopAndAwait() throws InterruptedException {
        started.await();
        signal.requestStopAndAwait();
    }

    /** Waits until ingest is running, or fails with one line naming its state. */
    static void awaitRunning(IngestService ingest) throws InterruptedException {
        if (!ingest.awaitRunning(STAGE_START_TIMEOUT)) {
            throw new UserError("ingest did not start within " + STAGE_START_TIMEOUT.toSeconds() + " s (state "
                    + ingest.state() + ")", 1);
        }
    }
}
