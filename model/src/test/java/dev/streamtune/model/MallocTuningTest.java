package dev.streamtune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The thresholds are set on glibc Linux. Their effect on a training step is measured, not asserted here (page
 * faults depend on the whole process's allocation pattern): {@code StepProfiler} in bench prints minor faults
 * per step, about 82,000 → 1,000–3,000 on the medium benchmark config.
 */
class MallocTuningTest {
    static {
        CpuTuning.apply(); // applies MallocTuning too, before DJL loads libtorch
    }

    @Test
    void activeOnGlibcLinux() {
        assumeTrue(Files.isRegularFile(Path.of("/proc/self/stat")), "Linux only");
        assertEquals(MallocTuning.Status.ACTIVE, MallocTuning.apply());
    }
}
