package dev.streamtune.bench.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import dev.streamtune.model.Projection;
import dev.streamtune.model.io.HfCheckpoint;
import dev.streamtune.model.io.SafeTensors;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.LoraConfig;
import dev.streamtune.model.lora.PeftAdapters;
import dev.streamtune.model.train.AdamWConfig;
import dev.streamtune.model.train.SftExample;
import dev.streamtune.model.train.TrainingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One benchmark configuration made concrete in a work directory that both sides read, so that streamtune and
 * the PyTorch peer train the same model on the same data with the same optimizer:
 * <pre>
 *   config.json                 HF model config       model.safetensors          random base weights (seed)
 *   adapter_config.json         PEFT LoRA config      adapter_model.safetensors  initial A (Kaiming), B = 0
 *   data.safetensors            "tokens" int64 [B, T+1]; inputs [:, :T], targets [:, 1:]
 *   bench.json                  optimizer, warm-up and timed steps, seed
 * </pre>
 * The definition itself is one JSON resource per config ({@code small.json}, {@code medium.json} next to this
 * class): its {@code model} object is an HF config.json and its {@code lora} object a PEFT adapter_config.json,
 * parsed by the model core's own readers.
 */
public final class TrainWorkload {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Path directory;
    private final ModelConfig modelConfig;
    private final LoraConfig loraConfig;
    private final TrainingConfig trainingConfig;
    private final int batchSize;
    private final int seqLen;
    private final int warmupSteps;
    private final int timedSteps;
    private final long[][] rows; // [B][T+1]

    private TrainWorkload(String name, Path directory, ModelConfig modelConfig, LoraConfig loraConfig,
                          TrainingConfig trainingConfig, int batchSize, int seqLen, int warmupSteps, int timedSteps,
                          long[][] rows) {
        this.name = name;
        this.directory = directory;
        this.modelConfig = modelConfig;
        this.loraConfig = loraConfig;
        this.trainingConfig = trainingConfig;
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.warmupSteps = warmupSteps;
        this.timedSteps = timedSteps;
        this.rows = rows;
    }

    /** Reads the bundled definition {@code <name>.json}. */
    public static JsonNode definition(String name) {
        try (InputStream in = TrainWorkload.class.getResourceAsStream(name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("unknown benchmark config '" + name + "' (known: small, medium)");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the work directory for {@code definition} (see the class comment). Steps may be overridden
     * (values ≤ 0 keep the definition's).
     */
    public static TrainWorkload prepare(JsonNode definition, Path directory, int warmupOverride, int timedOverride)
            throws IOException {
        Files.createDirectories(directory);
        String name = definition.path("name").asText();
        long seed = definition.path("seed").asLong(1);
        int batch = definition.path("batch_size").asInt();
        int seq = definition.path("seq_len").asInt();
        int warmup = warmupOverride > 0 ? warmupOverride : definition.path("warmup_steps").asInt(2);
        int timed = timedOverride > 0 ? timedOverride : definition.path("timed_steps").asInt(5);

        JSON.writeValue(directory.resolve(HfCheckpoint.CONFIG).toFile(), definition.path("model"));
        ModelConfig modelConfig = HfCheckpoint.readConfig(directory.resolve(HfCheckpoint.CONFIG));
        JSON.writeValue(directory.resolve(PeftAdapters.CONFIG).toFile(), definition.path("lora"));
        LoraConfig lora = PeftAdapters.readConfig(directory).lora();

        JsonNode o = definition.path("optimizer");
        AdamWConfig adamW = new AdamWConfig(o.path("lr").asDouble(), o.path("betas").path(0).asDouble(),
                o.path("betas").path(1).asDouble(), o.path("eps").asDouble(), o.path("weight_decay").asDouble(),
                o.path("max_grad_norm").asDouble());
        TrainingConfig training = TrainingConfig.defaults().withOptimizer(adamW).withSeed(seed);
        training = new TrainingConfig(training.optimizer(), seq, training.dpoBeta(), seed, 0);

        // data: row b = BOS then T tokens drawn uniformly from [0, V) by SplittableRandom(seed)
        SplittableRandom random = new SplittableRandom(seed);
        long[][] rows = new long[batch][seq + 1];
        long[] flat = new long[batch * (seq + 1)];
        for (int b = 0; b < batch; b++) {
            rows[b][0] = Math.max(0, modelConfig.bosTokenId());
            for (int t = 1; t <= seq; t++) {
                rows[b][t] = random.nextInt(modelConfig.vocabSize());
            }
            System.arraycopy(rows[b], 0, flat, b * (seq + 1), seq + 1);
        }
        try (NDManager manager = NDManager.newBaseManager();
             LlamaModel model = LlamaModel.random(modelConfig, seed, DataType.FLOAT32);
             LoraAdapter adapter = LoraAdapter.create(model, lora, seed + 1)) {
            HfCheckpoint.save(model, directory);
            PeftAdapters.save(adapter, directory, "streamtune-bench-" + name);
            NDArray tokens = manager.create(flat, new Shape(batch, seq + 1));
            SafeTensors.write(directory.resolve("data.safetensors"), Map.of("tokens", tokens), Map.of());
        }
        ObjectNode bench = JSON.createObjectNode();
        bench.put("name", name);
        bench.put("seed", seed);
        bench.put("batch_size", batch);
        bench.put("seq_len", seq);
        bench.put("warmup_steps", warmup);
        bench.put("timed_steps", timed);
        bench.set("optimizer", o);
        JSON.writerWithDefaultPrettyPrinter().writeValue(directory.resolve("bench.json").toFile(), bench);
        return new TrainWorkload(name, directory, modelConfig, lora, training, batch, seq, warmup, timed, rows);
    }

    /** The batch as the model core's trainer takes it: prompt = BOS, completion = the T following tokens. */
    public List<SftExample> examples() {
        List<SftExample> examples = new ArrayList<>(batchSize);
        for (long[] row : rows) {
            examples.add(new SftExample(new long[] {row[0]}, Arrays.copyOfRange(row, 1, row.length)));
        }
        return examples;
    }

    /**
     * Matmul FLOPs of one training step: {@code 4 · P · B·T} for the frozen linear weights P (forward 2, input
     * gradient 2; projections and LM head, not the embedding lookup or norms) plus {@code 12 · L · B · T² · C}
     * for attention (QKᵀ and PV, forward and both backward matmuls, full T² as usually counted).
     * LoRA's own FLOPs are left out (they are &lt; 3% here).
     */
    public double flopsPerStep() {
        long weights = 0;
        for (Projection p : Projection.values()) {
            weights += (long) p.inFeatures(modelConfig) * p.outFeatures(modelConfig);
        }
        weights = weights * modelConfig.numLayers() + (long) modelConfig.vocabSize() * modelConfig.hiddenSize();
        double tokens = (double) batchSize * seqLen;
        return 4.0 * weights * tokens
                + 12.0 * modelConfig.numLayers() * batchSize * (double) seqLen * seqLen * modelConfig.hiddenSize();
    }

    /** One line describing the configuration. */
    public String describe() {
        String targets = loraConfig.targets().stream().map(p -> p.name().toLowerCase(java.util.Locale.ROOT))
                .reduce((a, b) -> a + "," + b).orElse("");
        return String.format("%s: d_model %d, %d layers, %d heads (%d kv), MLP %d, vocab %d, seq %d, batch %d, "
                        + "LoRA r %d alpha %s on %s; %.1f GFLOP/step",
                name, modelConfig.hiddenSize(), modelConfig.numLayers(), modelConfig.numHeads(),
                modelConfig.numKvHeads(), modelConfig.intermediateSize(), modelConfig.vocabSize(), seqLen, batchSize,
                loraConfig.rank(), trimNumber(loraConfig.alpha()), targets, flopsPerStep() / 1e9);
    }

    private static String trimNumber(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    public String name() {
        return name;
    }

    public Path directory() {
        return directory;
    }

    public ModelConfig modelConfig() {
        return modelConfig;
    }

    public TrainingConfig trainingConfig() {
        return trainingConfig;
    }

    public int tokensPerStep() {
        return batchSize * seqLen;
    }

    public int warmupSteps() {
        return warmupSteps;
    }

    public int timedSteps() {
        return timedSteps;
    }
}
