package dev.streamtune.model.bench;

import ai.djl.ndarray.types.DataType;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import dev.streamtune.model.Projection;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.LoraConfig;
import dev.streamtune.model.train.LoraTrainer;
import dev.streamtune.model.train.SftExample;
import dev.streamtune.model.train.TrainingConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Forward+backward+AdamW throughput of a LoRA SFT step on a random model.
 * Usage: {@code TrainBenchmark [dModel layers heads seq batch rank vocab warmup steps]}
 * (defaults: 256 4 4 128 8 8 512 5 30; LoRA on q,k,v,o, no dropout, every token a completion token).
 */
public final class TrainBenchmark {
    private TrainBenchmark() {}

    /** Result: tokens per second over the timed steps. */
    public record Result(double tokensPerSecond, double millisPerStep, int steps) {}

    public static Result run(int dModel, int layers, int heads, int seq, int batch, int rank, int vocab, int warmup,
                             int steps) {
        ModelConfig config = ModelConfig.tinyLlama(vocab, dModel, layers, heads, heads);
        SplittableRandom random = new SplittableRandom(1);
        List<SftExample> examples = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            long[] prompt = {1};
            long[] completion = new long[seq];
            for (int t = 0; t < seq; t++) {
                completion[t] = random.nextInt(vocab);
            }
            examples.add(new SftExample(prompt, completion));
        }
        LoraConfig lora = new LoraConfig(rank, 2.0 * rank, 0,
                EnumSet.of(Projection.Q, Projection.K, Projection.V, Projection.O));
        try (LlamaModel model = LlamaModel.random(config, 1, DataType.FLOAT32);
             LoraAdapter adapter = LoraAdapter.create(model, lora, 2);
             LoraTrainer trainer = new LoraTrainer(model, adapter, TrainingConfig.defaults())) {
            for (int i = 0; i < warmup; i++) {
                trainer.sftStep(examples);
            }
            long start = System.nanoTime();
            long tokens = 0;
            for (int i = 0; i < steps; i++) {
                tokens += trainer.sftStep(examples).tokens();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(tokens / seconds, 1000 * seconds / steps, steps);
        }
    }

    public static void main(String[] args) {
        int[] p = {256, 4, 4, 128, 8, 8, 512, 5, 30};
        for (int i = 0; i < Math.min(args.length, p.length); i++) {
            p[i] = Integer.parseInt(args[i]);
        }
        Result r = run(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]);
        System.out.printf("d_model %d, layers %d, heads %d, seq %d, batch %d, LoRA r %d on q,k,v,o, vocab %d: "
                + "%.0f tokens/s (%.1f ms/step over %d steps)%n", p[0], p[1], p[2], p[3], p[4], p[5], p[6],
                r.tokensPerSecond(), r.millisPerStep(), r.steps());
    }
}
