package dev.streamtune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamtune.model.io.SafeTensors;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.LoraConfig;
import dev.streamtune.model.lora.PeftAdapters;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA identity at init, merge/unmerge, PEFT layout round trip. */
class LoraTest {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before DJL loads libtorch, as in production
    }

    /** GQA (4 query heads on 2 kv heads), q/k/v bias (Qwen2), tied head: every branch of the forward pass. */
    private static final ModelConfig CONFIG = ModelConfig.tinyLlama(97, 32, 2, 4, 2)
            .withArchitecture(ModelConfig.QWEN2, true).withTiedEmbeddings(true);
    private static final LoraConfig ALL_TARGETS = new LoraConfig(4, 8, 0.0, EnumSet.allOf(Projection.class));
    private static final long[] IDS = {1, 5, 17, 42, 96, 3, 3, 60, 11};

    private static LlamaModel model;

    @BeforeAll
    static void createModel() {
        model = LlamaModel.random(CONFIG, 7, DataType.FLOAT32);
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void freshAdapterHasZeroBAndKaimingUniformAAndLeavesLogitsUnchanged() {
        try (LoraAdapter adapter = LoraAdapter.create(model, ALL_TARGETS, 1)) {
            for (int layer = 0; layer < CONFIG.numLayers(); layer++) {
                for (Projection p : Projection.values()) {
                    float[] a = adapter.loraA(layer, p).toFloatArray();
                    double bound = 1 / Math.sqrt(p.inFeatures(CONFIG));
                    double maxAbs = 0;
                    for (float v : a) {
                        maxAbs = Math.max(maxAbs, Math.abs(v));
                    }
                    assertTrue(maxAbs <= bound && maxAbs > bound / 2, p + " A within Kaiming bound " + bound + ": " + maxAbs);
                    for (float v : adapter.loraB(layer, p).toFloatArray()) {
                        assertEquals(0f, v);
                    }
                }
            }
            assertArrayEquals(TestModels.logits(model, IDS), logits(adapter, IDS), "B = 0 must give the base logits exactly");
        }
    }

    @Test
    void sameSeedGivesTheSameAdapter() {
        try (LoraAdapter first = LoraAdapter.create(model, ALL_TARGETS, 99);
             LoraAdapter second = LoraAdapter.create(model, ALL_TARGETS, 99)) {
            for (int i = 0; i < first.parameters().size(); i++) {
                assertArrayEquals(first.parameters().get(i).toFloatArray(), second.parameters().get(i).toFloatArray());
            }
        }
    }

    @Test
    void mergedAdapterMatchesTheUnmergedOneAndUnmergeRestoresTheBase() {
        float[] base = TestModels.logits(model, IDS);
        try (LoraAdapter adapter = LoraAdapter.create(model, ALL_TARGETS, 2)) {
            randomiseB(adapter, 3);
            float[] unmerged = logits(adapter, IDS);
            assertTrue(TestModels.maxAbsDiff(base, unmerged) > 1e-3, "a non-zero B must change the logits");

            adapter.merge(model);
            float[] mergedBase = TestModels.logits(model, IDS);
            float[] mergedWithAdapter = logits(adapter, IDS);
            adapter.unmerge();

            double diff = TestModels.maxAbsDiff(unmerged, mergedBase);
            assertTrue(diff <= 1e-5, "merged vs unmerged max |diff| " + diff);
            assertArrayEquals(mergedBase, mergedWithAdapter, "a merged adapter must not be applied twice");
            assertArrayEquals(base, TestModels.logits(model, IDS), "unmerge restores the base bit-exactly");
        }
    }

    @Test
    void peftSaveThenLoadRoundTripsEveryTensorBitExactlyWithPeftNamesAndShapes(@TempDir Path dir) throws Exception {
        LoraConfig config = new LoraConfig(8, 16, 0.05, EnumSet.of(Projection.Q, Projection.V, Projection.DOWN));
        try (LoraAdapter adapter = LoraAdapter.create(model, config, 4)) {
            randomiseB(adapter, 5);
            PeftAdapters.save(adapter, dir, "streamtune/tiny-qwen2");

            JsonNode json = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
            assertEquals("LORA", json.get("peft_type").asText());
            assertEquals("CAUSAL_LM", json.get("task_type").asText());
            assertEquals(8, json.get("r").asInt());
            assertEquals(16, json.get("lora_alpha").asInt());
            assertEquals(0.05, json.get("lora_dropout").asDouble());
            assertEquals("streamtune/tiny-qwen2", json.get("base_model_name_or_path").asText());
            Set<String> modules = new HashSet<>();
            json.get("target_modules").forEach(n -> modules.add(n.asText()));
            assertEquals(Set.of("q_proj", "v_proj", "down_proj"), modules);

            try (NDManager m = NDManager.newBaseManager()) {
                Map<String, NDArray> onDisk = SafeTensors.read(dir.resolve("adapter_model.safetensors"), m);
                assertEquals(CONFIG.numLayers() * 3 * 2, onDisk.size());
                assertEquals(new Shape(8, 32), onDisk.get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").getShape());
                assertEquals(new Shape(32, 8), onDisk.get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").getShape());
                assertEquals(new Shape(16, 8), onDisk.get("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").getShape());
                assertEquals(new Shape(8, CONFIG.intermediateSize()),
                        onDisk.get("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight").getShape());
                assertEquals(new Shape(32, 8), onDisk.get("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").getShape());
            }

            try (LoraAdapter loaded = PeftAdapters.load(dir, model)) {
                assertEquals(config, loaded.config());
                for (int layer = 0; layer < CONFIG.numLayers(); layer++) {
                    for (Projection p : config.targets()) {
                        assertArrayEquals(bits(adapter.loraA(layer, p)), bits(loaded.loraA(layer, p)), "A " + layer + " " + p);
                        assertArrayEquals(bits(adapter.loraB(layer, p)), bits(loaded.loraB(layer, p)), "B " + layer + " " + p);
                    }
                }
                assertArrayEquals(logits(adapter, IDS), logits(loaded, IDS));
            }
        }
    }

    private static int[] bits(NDArray array) {
        float[] values = array.toFloatArray();
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    /** Fills every B with N(0, 0.05²) so the adapter does something. */
    static void randomiseB(LoraAdapter adapter, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int layer = 0; layer < adapter.modelConfig().numLayers(); layer++) {
            for (Projection p : adapter.config().targets()) {
                NDArray b = adapter.loraB(layer, p);
                float[] values = new float[Math.toIntExact(b.size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (0.05 * random.nextGaussian());
                }
                b.set(values);
            }
        }
    }

    private static float[] logits(LoraAdapter adapter, long[] ids) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray input = m.create(ids, new Shape(1, ids.length));
            return model.forward(input, null, null, adapter, false).toFloatArray();
        }
    }
}
