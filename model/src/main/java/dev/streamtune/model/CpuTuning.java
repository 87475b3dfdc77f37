package dev.streamtune.model;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the oneMKL inside libtorch use its AVX-512 matmul kernels on AMD CPUs that have AVX-512 (Zen 4/5).
 *
 * <p>oneMKL chooses kernels by CPU vendor and runs its AVX2 path on every non-Intel CPU. On this project's
 * 2-core AMD EPYC (Zen 5) that path reaches ~200 GFLOP/s on float32 GEMM, the AVX-512 path ~450–500 (both
 * through DJL's libtorch 2.7.1). The vendor test is one exported function, {@code mkl_serv_intel_cpu_true},
 * which libtorch calls through its PLT; {@link #apply()} loads a one-function library defining it (source:
 * {@code model/src/main/c/mkl_amd.c}) into the global symbol scope before libtorch is loaded, so MKL's
 * dispatcher then picks kernels by the CPUID feature bits alone, as it does on Intel.
 *
 * <p>Applied automatically (idempotent) when model classes are first used; it must run before the PyTorch
 * engine is loaded, so entry points that touch DJL earlier call {@link #apply()} first. Off on other CPUs and
 * with {@code -Dstreamtune.mkl.avx512=false}. Results stay within float32 rounding of the AVX2 path (the
 * module's parity, gradient and optimizer tests run with it on).
 */
public final class CpuTuning {
    private static final Logger LOG = LoggerFactory.getLogger(CpuTuning.class);
    /** System property that turns the MKL override off ({@code false}). */
    public static final String PROPERTY = "streamtune.mkl.avx512";
    private static final String LIBRARY = "/dev/streamtune/model/native/linux-x86_64/libstreamtune_mkl_amd.so";
    private static final List<String> AVX512 = List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
    private static final int RTLD_LAZY = 0x001;
    private static final int RTLD_GLOBAL = 0x100;

    /** Outcome of {@link #apply()}. */
    public enum Status {
        /** MKL's AVX-512 kernels are enabled on this AMD CPU. */
        ACTIVE,
        /** Not needed or not applicable: an Intel CPU, no AVX-512, not linux-x86_64. */
        NOT_APPLICABLE,
        /** Turned off with {@code -Dstreamtune.mkl.avx512=false}. */
        DISABLED,
        /** libtorch was already loaded when {@link #apply()} first ran, so MKL keeps its vendor dispatch. */
        TOO_LATE,
        /** Loading the library failed (logged). */
        FAILED
    }

    private static Status status;
    private static NativeLibrary library; // held so that it stays loaded

    private CpuTuning() {}

    /**
     * Applies the override once (see the class comment) and returns what happened; also applies
     * {@link MallocTuning} (glibc malloc thresholds for libtorch's activation buffers).
     */
    public static synchronized Status apply() {
        MallocTuning.apply();
        if (status == null) {
            status = decide();
            if (status == Status.ACTIVE) {
                LOG.info("oneMKL: AVX-512 kernels enabled on this AMD CPU (-D{}=false to turn off)", PROPERTY);
            }
        }
        return status;
    }

    /** What {@link #apply()} did, applying it first if needed. */
    public static Status status() {
        return apply();
    }

    private static Status decide() {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return Status.DISABLED;
        }
        if (!linuxX86() || !amdWithAvx512()) {
            return Status.NOT_APPLICABLE;
        }
        if (libtorchLoaded()) {
            LOG.warn("oneMKL AVX-512 override not applied: libtorch was loaded before dev.streamtune.model.CpuTuning");
            return Status.TOO_LATE;
        }
        try {
            library = NativeLibrary.getInstance(extractLibrary(LIBRARY, "streamtune-mkl-amd").toString(),
                    Map.of(Library.OPTION_OPEN_FLAGS, RTLD_GLOBAL | RTLD_LAZY));
            return Status.ACTIVE;
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("oneMKL AVX-512 override not applied: {}", e.toString());
            return Status.FAILED;
        }
    }

    /** Whether this is Linux on x86-64 (the platform of the project's native libraries). */
    static boolean linuxX86() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        return os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /** Copies a native library shipped as a resource to a temporary file (deleted on exit) and returns its path. */
    static Path extractLibrary(String resource, String prefix) throws IOException {
        try (InputStream in = CpuTuning.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is missing");
            }
            Path file = Files.createTempFile(prefix, ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
    }

    /** AuthenticAMD with the AVX-512 subsets MKL's AVX-512 kernels use, per /proc/cpuinfo. */
    static boolean amdWithAvx512() {
        return "AuthenticAMD".equals(cpuInfo("vendor_id")) && hasAvx512();
    }

    /** Whether this CPU has the AVX-512 subsets F, CD, BW, DQ and VL (x86-64-v4), per /proc/cpuinfo. */
    static boolean hasAvx512() {
        String flags = cpuInfo("flags");
        if (flags == null) {
            return false;
        }
        String padded = " " + flags + " ";
        for (String flag : AVX512) {
            if (!padded.contains(" " + flag + " ")) {
                return false;
            }
        }
        return true;
    }

    /** The first value of a /proc/cpuinfo field, or null. */
    private static String cpuInfo(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith(field)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static boolean libtorchLoaded() {
        try {
            return Files.readString(Path.of("/proc/self/maps")).contains("libtorch_cpu");
        } catch (IOException e) {
            return false;
        }
    }
}
