package dev.streamtune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamtune.model.io.HfCheckpoint;
import dev.streamtune.model.io.SafeTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HF directory save/load, sharding, half-precision reading, config.json parsing. */
class HfCheckpointTest {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before DJL loads libtorch, as in production
    }

    private static final long[] IDS = {0, 4, 9, 33, 2, 50};

    @Test
    void qwen2WithBiasAndTiedHeadRoundTripsThroughOneFile(@TempDir Path dir) throws Exception {
        ModelConfig config = ModelConfig.tinyLlama(61, 24, 2, 4, 2).withArchitecture(ModelConfig.QWEN2, true)
                .withTiedEmbeddings(true);
        try (LlamaModel original = LlamaModel.random(config, 11, DataType.FLOAT32)) {
            HfCheckpoint.save(original, dir);
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
            try (LlamaModel loaded = HfCheckpoint.load(dir)) {
                assertEquals(config, loaded.config());
                assertSameTensors(original, loaded);
                assertArrayEquals(TestModels.logits(original, IDS), TestModels.logits(loaded, IDS));
            }
        }
    }

    @Test
    void shardedCheckpointWithIndexLoadsLikeTheOriginal(@TempDir Path dir) throws Exception {
        ModelConfig config = ModelConfig.tinyLlama(50, 16, 3, 2, 1);
        try (LlamaModel original = LlamaModel.random(config, 12, DataType.FLOAT32)) {
            HfCheckpoint.save(original, dir, 8_000);
            assertFalse(Files.exists(dir.resolve("model.safetensors")));
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
            try (var files = Files.list(dir)) {
                assertTrue(files.filter(f -> f.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count() > 1);
            }
            try (LlamaModel loaded = HfCheckpoint.load(dir)) {
                assertSameTensors(original, loaded);
            }
        }
    }

    @Test
    void readsBf16AndF16ByWideningToF32(@TempDir Path dir) throws Exception {
        // bf16 0x3FC0 = 1.5, 0xC040 = -3.0; f16 0x3C00 = 1.0, 0x0001 = 2^-24 (subnormal), 0xFBFF = -65504
        short[] bf16 = {(short) 0x3FC0, (short) 0xC040};
        short[] f16 = {(short) 0x3C00, (short) 0x0001, (short) 0xFBFF};
        String header = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[1,3],\"data_offsets\":[4,10]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + 10).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        for (short s : bf16) {
            file.putShort(s);
        }
        for (short s : f16) {
            file.putShort(s);
        }
        Path path = dir.resolve("half.safetensors");
        Files.write(path, file.array());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = SafeTensors.read(path, m);
            assertEquals(DataType.FLOAT32, tensors.get("a").getDataType());
            assertArrayEquals(new float[] {1.5f, -3.0f}, tensors.get("a").toFloatArray());
            assertEquals(new Shape(1, 3), tensors.get("b").getShape());
            assertArrayEquals(new float[] {1.0f, 0x1p-24f, -65504f}, tensors.get("b").toFloatArray());
        }
    }

    @Test
    void safetensorsRejectsTensorsWhoseByteCountDoesNotMatchTheirShape(@TempDir Path dir) throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        Path path = dir.resolve("bad.safetensors");
        Files.write(path, file.array());
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(IOException.class, () -> SafeTensors.read(path, m));
        }
    }

    @Test
    void configDefaultsFollowEachArchitecture(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"Qwen2ForCausalLM\"],\"vocab_size\":100,"
                + "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":8,"
                + "\"num_key_value_heads\":2,\"eos_token_id\":[5,7],\"tie_word_embeddings\":true}");
        ModelConfig qwen = HfCheckpoint.readConfig(dir.resolve("config.json"));
        assertEquals(1_000_000.0, qwen.ropeTheta());
        assertTrue(qwen.attentionBias(), "Qwen2 always has q/k/v bias");
        assertEquals(8, qwen.headDim());
        assertEquals(List.of(5, 7), qwen.eosTokenIds());

        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"MistralForCausalLM\"],\"vocab_size\":100,"
                + "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":8}");
        ModelConfig mistral = HfCheckpoint.readConfig(dir.resolve("config.json"));
        assertEquals(10_000.0, mistral.ropeTheta());
        assertEquals(8, mistral.numKvHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertFalse(mistral.attentionBias());

        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"GPT2LMHeadModel\"]}");
        assertThrows(IOException.class, () -> HfCheckpoint.readConfig(dir.resolve("config.json")));
    }

    private static void assertSameTensors(LlamaModel expected, LlamaModel actual) {
        Map<String, NDArray> a = expected.tensors();
        Map<String, NDArray> b = actual.tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertEquals(a.get(name).getShape(), b.get(name).getShape(), name);
            assertArrayEquals(a.get(name).toFloatArray(), b.get(name).toFloatArray(), name);
        }
    }
}
