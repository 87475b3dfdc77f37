package dev.streamtune.bench.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch eager peer ({@code bench/src/main/python/train_peer.py}), one process per run, on the same work
 * directory. Its threads are set to streamtune's intra-op thread count (torch.set_num_threads and
 * OMP_NUM_THREADS, which OpenBLAS's OpenMP build follows).
 */
public final class PeerRun {
    /** How to install what the peer needs on Debian/Ubuntu. */
    public static final String INSTALL = "apt-get install -y python3-torch libopenblas0-openmp";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String python;
    private final Path script;
    private final int threads;
    private final String openblasCoretype;

    /** {@code openblasCoretype}: OPENBLAS_CORETYPE for the peer, or null to inherit this process's environment. */
    public PeerRun(String python, Path script, int threads, String openblasCoretype) {
        this.python = python;
        this.script = script;
        this.threads = threads;
        this.openblasCoretype = openblasCoretype;
    }

    /** Thrown when the peer cannot run here; the message says why and how to fix it. */
    public static final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }

    /** What the peer's process reported: its torch, threads, the BLAS it loaded, and optionally a GEMM rate. */
    public record Report(RunResult result, String torchVersion, int threads, List<String> blas, double gemmFlopsPerSecond,
                         String openblasCoretype) {}

    /** Checks that python, torch and an optimised BLAS are there (a few seconds); throws with a fix otherwise. */
    public String check() throws Unavailable {
        if (!Files.isRegularFile(script)) {
            throw new Unavailable("peer script not found at " + script + " (run from the repository, or pass --peer-script)");
        }
        String out = exec(List.of(python, "-c", "import torch; print(torch.__version__)"), 120);
        return out.strip();
    }

    /** One run on {@code workload}; with {@code gemmSize} > 0 it also measures an n×n float32 matmul. */
    public Report run(TrainWorkload workload, int gemmSize) throws Unavailable {
        List<String> command = new ArrayList<>(List.of(python, script.toString(), workload.directory().toString(),
                "--threads", Integer.toString(threads)));
        if (gemmSize > 0) {
            command.add("--gemm");
            command.add(Integer.toString(gemmSize));
        }
        String out = exec(command, 900);
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        JsonNode json;
        try {
            json = JSON.readTree(last);
        } catch (IOException e) {
            throw new Unavailable("peer printed no result: " + out);
        }
        List<String> blas = new ArrayList<>();
        json.path("blas").forEach(n -> blas.add(n.asText()));
        if (json.has("error")) {
            throw new Unavailable(json.path("error").asText());
        }
        List<Double> losses = new ArrayList<>();
        json.path("losses").forEach(n -> losses.add(n.asDouble()));
        return new Report(new RunResult(json.path("tokens_per_second").asDouble(), losses),
                json.path("torch").asText(), json.path("threads").asInt(), blas,
                json.path("gemm_flops_per_second").asDouble(0), json.path("openblas_coretype").asText("unset"));
    }

    private String exec(List<String> command, long timeoutSeconds) throws Unavailable {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("OMP_NUM_THREADS", Integer.toString(threads));
        if (openblasCoretype != null) {
            env.put("OPENBLAS_CORETYPE", openblasCoretype);
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new Unavailable("cannot run " + python + " (" + e.getMessage() + "); install the peer with: " + INSTALL);
        }
        try {
            byte[] bytes = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new Unavailable("peer timed out after " + timeoutSeconds + " s");
            }
            String out = new String(bytes, StandardCharsets.UTF_8);
            int code = process.exitValue();
            if (code == 3) {
                return out; // reference BLAS: the JSON line carries the explanation
            }
            if (code != 0) {
                if (out.contains("No module named 'torch'") || out.contains("No module named torch")) {
                    throw new Unavailable(python + " has no torch; install the peer with: " + INSTALL);
                }
                throw new Unavailable("peer exited with " + code + ":\n" + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new Unavailable("reading the peer's output failed: " + e.getMessage());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        }
    }
}
