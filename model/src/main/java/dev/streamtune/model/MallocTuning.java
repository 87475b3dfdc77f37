package dev.streamtune.model;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps glibc's malloc from handing a training step's activation buffers back to the kernel after every op.
 *
 * <p>libtorch's CPU allocator is plain {@code malloc}/{@code free}. With glibc's defaults, blocks above the
 * mmap threshold (128 KiB, raised dynamically only by frees of mmapped blocks) are mmapped and unmapped one by
 * one, and free memory at the top of an arena above the trim threshold (128 KiB) is returned to the kernel, so
 * the next step touches fresh pages again. A medium training step (activations of 0.5–5.6 MB per op) took about
 * 82,000 minor page faults and 300 ms of kernel time per step that way. {@link #apply()} sets
 * {@code M_MMAP_THRESHOLD} to glibc's maximum (32 MiB), so those buffers come from the arenas, and
 * {@code M_TRIM_THRESHOLD} to 1 GiB, so memory freed at the end of a step is reused by the next one instead of
 * being unmapped: about 2,000–3,000 faults per step. The cost: the process keeps the memory of its largest step
 * (it is not returned to the kernel while the process lives), which is what a long-running trainer wants.
 *
 * <p>Applied with {@link CpuTuning#apply()}, i.e. when model classes are first used. Process-wide (every malloc
 * of the JVM). Only on Linux with glibc; off with {@code -Dstreamtune.malloc.tuning=false}.
 */
public final class MallocTuning {
    private static final Logger LOG = LoggerFactory.getLogger(MallocTuning.class);
    /** System property that turns the malloc settings off ({@code false}). */
    public static final String PROPERTY = "streamtune.malloc.tuning";
    /** mallopt parameters (malloc.h). */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's upper bound for M_MMAP_THRESHOLD on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX). */
    static final int MMAP_THRESHOLD = 32 << 20;
    static final int TRIM_THRESHOLD = 1 << 30;

    /** Outcome of {@link #apply()}. */
    public enum Status {
        /** Both thresholds set. */
        ACTIVE,
        /** Not Linux/glibc. */
        NOT_APPLICABLE,
        /** Turned off with {@code -Dstreamtune.malloc.tuning=false}. */
        DISABLED,
        /** mallopt refused a setting or could not be called (logged). */
        FAILED
    }

    private static Status status;

    private MallocTuning() {}

    /** Sets the thresholds once and returns what happened. */
    public static synchronized Status apply() {
        if (status == null) {
            status = decide();
        }
        return status;
    }

    private static Status decide() {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return Status.DISABLED;
        }
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Status.NOT_APPLICABLE;
        }
        try {
            NativeLibrary libc = NativeLibrary.getInstance("c");
            try {
                libc.getFunction("gnu_get_libc_version"); // glibc only (musl has no such function)
            } catch (UnsatisfiedLinkError e) {
                return Status.NOT_APPLICABLE;
            }
            Function mallopt = libc.getFunction("mallopt");
            int mmap = mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, MMAP_THRESHOLD});
            int trim = mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, TRIM_THRESHOLD});
            if (mmap != 1 || trim != 1) {
                LOG.warn("mallopt refused a threshold (mmap: {}, trim: {})", mmap, trim);
                return Status.FAILED;
            }
            return Status.ACTIVE;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("malloc thresholds not set: {}", e.toString());
            return Status.FAILED;
        }
    }
}
