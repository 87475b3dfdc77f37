package dev.streamtune.bench.train;

import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.io.HfCheckpoint;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.PeftAdapters;
import dev.streamtune.model.train.LoraTrainer;
import dev.streamtune.model.train.SftExample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * streamtune's side: the model core's {@link LoraTrainer#sftStep} on the work directory's model, adapter and
 * batch. The base model is loaded once; each run starts from the saved initial adapter and fresh AdamW state,
 * in this JVM (so later runs profit from JIT warm-up the way a long-running trainer does; the warm-up steps
 * of every run absorb most of it).
 */
public final class StreamtuneRun implements AutoCloseable {
    private final TrainWorkload workload;
    private final LlamaModel model;
    private final List<SftExample> examples;

    public StreamtuneRun(TrainWorkload workload) throws IOException {
        this.workload = workload;
        this.model = HfCheckpoint.load(workload.directory());
        this.examples = workload.examples();
    }

    /** Warm-up steps, then the timed steps. */
    public RunResult run() throws IOException {
        List<Double> losses = new ArrayList<>();
        try (LoraAdapter adapter = PeftAdapters.load(workload.directory(), model);
             LoraTrainer trainer = new LoraTrainer(model, adapter, workload.trainingConfig())) {
            for (int i = 0; i < workload.warmupSteps(); i++) {
                losses.add(trainer.sftStep(examples).loss());
            }
            long tokens = 0;
            long start = System.nanoTime();
            for (int i = 0; i < workload.timedSteps(); i++) {
                var step = trainer.sftStep(examples);
                tokens += step.tokens();
                losses.add(step.loss());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new RunResult(tokens / seconds, losses);
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
