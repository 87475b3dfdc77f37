package dev.streamtune.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import dev.streamtune.model.Projection;
import dev.streamtune.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LoRA adapters in PEFT's on-disk layout, loadable by PEFT, vLLM and LoRAX:
 * <ul>
 *   <li>{@code adapter_config.json}: peft_type LORA, task_type CAUSAL_LM, r, lora_alpha, lora_dropout,
 *       target_modules, base_model_name_or_path (plus PEFT's other fields at their defaults);</li>
 *   <li>{@code adapter_model.safetensors}: {@code base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight}
 *       [r, in] and {@code ...lora_B.weight} [out, r] for every targeted projection.</li>
 * </ul>
 */
public final class PeftAdapters {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern TENSOR_NAME = Pattern.compile(
            "base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+_proj)\\.lora_([AB])(?:\\.default)?\\.weight");

    private PeftAdapters() {}

    /** adapter_config.json contents that this project uses. */
    public record AdapterConfig(LoraConfig lora, String baseModelNameOrPath) {}

    /** PEFT's tensor name for A ({@code "A"}) or B ({@code "B"}) of one projection. */
    public static String tensorName(int layer, Projection p, String aOrB) {
        return "base_model.model." + p.modulePath(layer) + ".lora_" + aOrB + ".weight";
    }

    /** Writes {@code adapter} to {@code directory} (created if needed) in PEFT's layout. */
    public static void save(LoraAdapter adapter, Path directory, String baseModelNameOrPath) throws IOException {
        Files.createDirectories(directory);
        LoraConfig c = adapter.config();
        ObjectNode json = JSON.createObjectNode();
        json.put("peft_type", "LORA");
        json.put("task_type", "CAUSAL_LM");
        json.put("r", c.rank());
        if (c.alpha() == Math.rint(c.alpha()) && Math.abs(c.alpha()) < Integer.MAX_VALUE) {
            json.put("lora_alpha", (int) c.alpha()); // PEFT writes integer alphas as integers
        } else {
            json.put("lora_alpha", c.alpha());
        }
        json.put("lora_dropout", c.dropout());
        ArrayNode targets = json.putArray("target_modules");
        c.targets().forEach(p -> targets.add(p.hfName()));
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("bias", "none");
        json.put("fan_in_fan_out", false);
        json.put("inference_mode", true);
        json.put("init_lora_weights", true);
        json.putNull("modules_to_save");
        json.putNull("layers_to_transform");
        json.put("use_rslora", false);
        json.put("use_dora", false);
        json.put("revision", (String) null);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        ModelConfig mc = adapter.modelConfig();
        for (int layer = 0; layer < mc.numLayers(); layer++) {
            for (Projection p : c.targets()) {
                tensors.put(tensorName(layer, p, "A"), adapter.loraA(layer, p));
                tensors.put(tensorName(layer, p, "B"), adapter.loraB(layer, p));
            }
        }
        SafeTensors.write(directory.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        JSON.writeValue(directory.resolve(CONFIG).toFile(), json);
    }

    /** Reads {@code adapter_config.json} of an adapter directory. */
    public static AdapterConfig readConfig(Path directory) throws IOException {
        Path file = directory.resolve(CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing " + file);
        }
        JsonNode json = JSON.readTree(file.toFile());
        if (!"LORA".equals(json.path("peft_type").asText())) {
            throw new IOException(file + ": peft_type is " + json.path("peft_type") + ", expected LORA");
        }
        if (json.path("use_dora").asBoolean(false) || json.path("use_rslora").asBoolean(false)) {
            throw new IOException(file + ": DoRA and rsLoRA adapters are not supported");
        }
        Set<Projection> targets = EnumSet.noneOf(Projection.class);
        JsonNode modules = json.path("target_modules");
        if (modules.isArray()) {
            for (JsonNode m : modules) {
                targets.add(Projection.parse(m.asText()));
            }
        } else {
            throw new IOException(file + ": target_modules must be a list of module names");
        }
        int rank = json.path("r").asInt(8);
        LoraConfig lora = new LoraConfig(rank, json.path("lora_alpha").asDouble(rank), json.path("lora_dropout").asDouble(0),
                targets);
        return new AdapterConfig(lora, json.path("base_model_name_or_path").asText(""));
    }

    /**
     * Loads the adapter in {@code directory} for {@code base}. Every targeted projection of every layer must
     * be present with PEFT's shapes; tensors are converted to the base model's dtype.
     */
    public static LoraAdapter load(Path directory, LlamaModel base) throws IOException {
        AdapterConfig config = readConfig(directory);
        LoraAdapter adapter = LoraAdapter.empty(base, config.lora());
        try (NDManager staging = base.manager().newSubManager()) {
            Map<String, NDArray> tensors = SafeTensors.read(directory.resolve(WEIGHTS), staging);
            ModelConfig mc = base.config();
            NDArray[][][] found = new NDArray[mc.numLayers()][Projection.values().length][2];
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                Matcher m = TENSOR_NAME.matcher(e.getKey());
                if (!m.matches()) {
                    throw new IOException(directory + ": unexpected tensor " + e.getKey());
                }
                int layer = Integer.parseInt(m.group(1));
                Projection p = Projection.parse(m.group(3));
                if (layer >= mc.numLayers() || !config.lora().targets().contains(p)) {
                    throw new IOException(directory + ": tensor " + e.getKey() + " is not in target_modules or the model");
                }
                found[layer][p.ordinal()][m.group(4).equals("A") ? 0 : 1] = e.getValue();
            }
            for (int layer = 0; layer < mc.numLayers(); layer++) {
                for (Projection p : config.lora().targets()) {
                    NDArray a = found[layer][p.ordinal()][0];
                    NDArray b = found[layer][p.ordinal()][1];
                    if (a == null || b == null) {
                        throw new IOException(directory + ": missing " + tensorName(layer, p, a == null ? "A" : "B"));
                    }
                    adapter.put(layer, p, a.toType(base.dataType(), false), b.toType(base.dataType(), false));
                }
            }
            return adapter;
        } catch (IOException | RuntimeException e) {
            adapter.close();
            throw e;
        }
    }
}
