package dev.streamtune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamtune.model.generate.Generator;
import dev.streamtune.model.generate.SamplingConfig;
import dev.streamtune.model.io.HfCheckpoint;
import dev.streamtune.model.io.Llama2cCheckpoint;
import dev.streamtune.model.io.ModelLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parity with llama2.c's run.c on the real stories260K checkpoint. */
class Stories260KTest {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before DJL loads libtorch, as in production
    }

    /** Greedy tokens from BOS computed by llama2.c's run.c at temperature 0 (shared/models/README.md). */
    private static final long[] REFERENCE = {
        461, 461, 401, 401, 401, 461, 378, 455, 473, 456, 435, 299, 362, 409, 283, 264, 283, 452, 288, 13};
    private static final long BOS = 1;

    @Test
    void readsTheHeaderAsAGroupedQueryLlama() throws Exception {
        try (LlamaModel model = Llama2cCheckpoint.load(TestModels.stories260K())) {
            ModelConfig c = model.config();
            assertEquals(64, c.hiddenSize());
            assertEquals(172, c.intermediateSize());
            assertEquals(5, c.numLayers());
            assertEquals(8, c.numHeads());
            assertEquals(4, c.numKvHeads());
            assertEquals(512, c.vocabSize());
            assertTrue(c.tieWordEmbeddings(), "positive vocab_size means a shared classifier");
        }
    }

    @Test
    void greedyFromBosMatchesLlama2cAndTheCacheMatchesFullRecomputation() throws Exception {
        try (LlamaModel model = ModelLoader.load(TestModels.stories260K())) {
            Generator generator = new Generator(model);
            long[] cached = generator.generate(new long[] {BOS}, null, SamplingConfig.greedy(200, Set.of()));
            assertEquals(200, cached.length);
            assertArrayEquals(REFERENCE, Arrays.copyOf(cached, REFERENCE.length), "first 20 greedy tokens vs run.c");

            // The same 200 tokens without a KV cache: re-run the whole sequence for every step.
            long[] sequence = new long[201];
            sequence[0] = BOS;
            for (int step = 0; step < 200; step++) {
                try (NDManager m = model.manager().newSubManager()) {
                    long[] prefix = Arrays.copyOf(sequence, step + 1);
                    float[] last = model.forward(m.create(prefix, new Shape(1, prefix.length)))
                            .get(0, prefix.length - 1).toFloatArray();
                    sequence[step + 1] = argMax(last);
                }
            }
            assertArrayEquals(Arrays.copyOfRange(sequence, 1, 201), cached, "KV-cached vs uncached greedy decoding");

            long[] again = generator.generate(new long[] {BOS}, null, SamplingConfig.greedy(200, Set.of()));
            assertArrayEquals(cached, again, "greedy decoding is deterministic");
        }
    }

    @Test
    void hfDirectoryWrittenByTheSaverGivesTheSameLogits(@TempDir Path dir) throws Exception {
        long[] ids = {1, 461, 401, 378, 455, 13, 264, 283, 99, 7};
        try (LlamaModel fromBin = Llama2cCheckpoint.load(TestModels.stories260K())) {
            HfCheckpoint.save(fromBin, dir);
            try (LlamaModel fromHf = HfCheckpoint.load(dir)) {
                assertEquals(fromBin.config(), fromHf.config());
                double diff = TestModels.maxAbsDiff(TestModels.logits(fromBin, ids), TestModels.logits(fromHf, ids));
                assertTrue(diff <= 1e-5, "max |logit difference| " + diff);
            }
        }
    }

    private static long argMax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
