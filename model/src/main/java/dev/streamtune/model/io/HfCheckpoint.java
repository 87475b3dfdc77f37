package dev.streamtune.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hugging Face model directories: {@code config.json} plus {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json}. Supported architectures: LlamaForCausalLM, MistralForCausalLM,
 * Qwen2ForCausalLM. Tensors in F32, F16 or BF16 are loaded as F32.
 */
public final class HfCheckpoint {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfCheckpoint() {}

    /** Loads the model in {@code directory}. */
    public static LlamaModel load(Path directory) throws IOException {
        ModelConfig config = readConfig(directory.resolve(CONFIG));
        NDManager manager = NDManager.newBaseManager();
        try {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            Path single = directory.resolve(WEIGHTS);
            Path index = directory.resolve(INDEX);
            if (Files.isRegularFile(single)) {
                tensors.putAll(SafeTensors.read(single, manager));
            } else if (Files.isRegularFile(index)) {
                JsonNode weightMap = JSON.readTree(index.toFile()).path("weight_map");
                TreeSet<String> shards = new TreeSet<>();
                weightMap.elements().forEachRemaining(n -> shards.add(n.asText()));
                for (String shard : shards) {
                    Path shardPath = directory.resolve(shard).normalize();
                    if (!shardPath.startsWith(directory.normalize())) {
                        throw new IOException("shard " + shard + " lies outside " + directory);
                    }
                    tensors.putAll(SafeTensors.read(shardPath, manager));
                }
            } else {
                throw new IOException(directory + " has neither " + WEIGHTS + " nor " + INDEX
                        + " (only safetensors checkpoints are loaded)");
            }
            return LlamaModel.fromTensors(config, tensors, manager);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Parses a {@code config.json}, applying each architecture's defaults for absent fields. */
    public static ModelConfig readConfig(Path configFile) throws IOException {
        if (!Files.isRegularFile(configFile)) {
            throw new IOException("missing " + configFile);
        }
        JsonNode c = JSON.readTree(configFile.toFile());
        String architecture = c.path("architectures").path(0).asText("");
        boolean qwen = architecture.equals(ModelConfig.QWEN2);
        if (!architecture.equals(ModelConfig.LLAMA) && !architecture.equals(ModelConfig.MISTRAL) && !qwen) {
            throw new IOException(configFile + ": unsupported architecture '" + architecture
                    + "' (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)");
        }
        String activation = c.path("hidden_act").asText("silu");
        if (!activation.equals("silu")) {
            throw new IOException(configFile + ": unsupported hidden_act " + activation);
        }
        JsonNode ropeScaling = c.path("rope_scaling");
        if (!ropeScaling.isMissingNode() && !ropeScaling.isNull()) {
            String type = ropeScaling.path("rope_type").asText(ropeScaling.path("type").asText(""));
            if (!type.equals("default")) {
                throw new IOException(configFile + ": rope_scaling '" + type + "' is not supported");
            }
        }
        int hidden = required(c, "hidden_size", configFile);
        int heads = required(c, "num_attention_heads", configFile);
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = c.path("eos_token_id");
        if (eosNode.isArray()) {
            eosNode.forEach(n -> eos.add(n.asInt()));
        } else if (eosNode.isNumber()) {
            eos.add(eosNode.asInt());
        }
        return new ModelConfig(
                architecture,
                required(c, "vocab_size", configFile),
                hidden,
                required(c, "intermediate_size", configFile),
                required(c, "num_hidden_layers", configFile),
                heads,
                c.path("num_key_value_heads").asInt(heads),
                c.path("head_dim").isNumber() ? c.path("head_dim").asInt() : hidden / heads,
                c.path("rope_theta").asDouble(qwen ? 1_000_000.0 : 10_000.0),
                c.path("rms_norm_eps").asDouble(1e-6),
                c.path("max_position_embeddings").asInt(2048),
                c.path("tie_word_embeddings").asBoolean(false),
                qwen || c.path("attention_bias").asBoolean(false),
                c.path("bos_token_id").isNumber() ? c.path("bos_token_id").asInt() : -1,
                eos);
    }

    private static int required(JsonNode config, String field, Path file) throws IOException {
        JsonNode n = config.path(field);
        if (!n.isNumber()) {
            throw new IOException(file + ": missing " + field);
        }
        return n.asInt();
    }

    /** The {@code config.json} HF would write for {@code config}. */
    public static ObjectNode configJson(ModelConfig config) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(config.architecture());
        c.put("model_type", switch (config.architecture()) {
            case ModelConfig.MISTRAL -> "mistral";
            case ModelConfig.QWEN2 -> "qwen2";
            default -> "llama";
        });
        c.put("vocab_size", config.vocabSize());
        c.put("hidden_size", config.hiddenSize());
        c.put("intermediate_size", config.intermediateSize());
        c.put("num_hidden_layers", config.numLayers());
        c.put("num_attention_heads", config.numHeads());
        c.put("num_key_value_heads", config.numKvHeads());
        c.put("head_dim", config.headDim());
        c.put("hidden_act", "silu");
        c.put("rope_theta", config.ropeTheta());
        c.put("rms_norm_eps", config.rmsNormEps());
        c.put("max_position_embeddings", config.maxPositions());
        c.put("tie_word_embeddings", config.tieWordEmbeddings());
        if (!config.architecture().equals(ModelConfig.QWEN2)) {
            c.put("attention_bias", config.attentionBias());
        }
        if (config.bosTokenId() >= 0) {
            c.put("bos_token_id", config.bosTokenId());
        }
        if (config.eosTokenIds().size() == 1) {
            c.put("eos_token_id", config.eosTokenIds().get(0));
        } else if (!config.eosTokenIds().isEmpty()) {
            var array = c.putArray("eos_token_id");
            config.eosTokenIds().forEach(array::add);
        }
        c.put("torch_dtype", "float32");
        return c;
    }

    /** Writes {@code model} to {@code directory} as config.json + one model.safetensors. */
    public static void save(LlamaModel model, Path directory) throws IOException {
        save(model, directory, Long.MAX_VALUE);
    }

    /**
     * Writes {@code model} to {@code directory}; when its weights exceed {@code maxShardBytes} they are split
     * into {@code model-0000i-of-0000n.safetensors} shards with a {@code model.safetensors.index.json}, as
     * {@code save_pretrained} does. Tensors keep the model's dtype.
     */
    public static void save(LlamaModel model, Path directory, long maxShardBytes) throws IOException {
        Files.createDirectories(directory);
        JSON.writeValue(directory.resolve(CONFIG).toFile(), configJson(model.config()));
        Map<String, NDArray> tensors = model.tensors();
        List<Map<String, NDArray>> shards = new ArrayList<>();
        Map<String, NDArray> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long totalBytes = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            long bytes = e.getValue().size() * e.getValue().getDataType().getNumOfBytes();
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
            totalBytes += bytes;
        }
        shards.add(current);
        Map<String, String> metadata = Map.of("format", "pt");
        if (shards.size() == 1) {
            SafeTensors.write(directory.resolve(WEIGHTS), tensors, metadata);
            Files.deleteIfExists(directory.resolve(INDEX));
            return;
        }
        Files.deleteIfExists(directory.resolve(WEIGHTS));
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafeTensors.write(directory.resolve(name), shards.get(i), metadata);
            for (String tensor : shards.get(i).keySet()) {
                weightMap.put(tensor, name);
            }
        }
        JSON.writeValue(directory.resolve(INDEX).toFile(), index);
    }

    /** True if {@code directory} looks like an HF model directory (has config.json). */
    public static boolean isModelDirectory(Path directory) {
        return Files.isDirectory(directory) && Files.isRegularFile(directory.resolve(CONFIG));
    }

}
