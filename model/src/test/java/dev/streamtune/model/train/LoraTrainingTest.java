package dev.streamtune.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import dev.streamtune.model.Projection;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.LoraConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End-to-end LoRA training on a synthetic task: after "BOS a b c d SEP" the model must answer
 * "a+1 b+1 c+1 d+1 EOS" over a 16-letter alphabet (shift-by-one with wrap-around). The task cannot be
 * solved from the marginal distribution alone, so a 50% drop in held-out loss means the adapter learned to
 * attend to and transform the prompt.
 */
class LoraTrainingTest {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before DJL loads libtorch, as in production
    }

    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int SEP = 3;
    private static final int FIRST_LETTER = 4;
    private static final int LETTERS = 16;
    private static final ModelConfig CONFIG = ModelConfig.tinyLlama(FIRST_LETTER + LETTERS, 64, 2, 4, 2);
    private static final LoraConfig LORA = new LoraConfig(8, 16, 0.05, EnumSet.allOf(Projection.class));
    private static final TrainingConfig TRAINING = new TrainingConfig(
            new AdamWConfig(1e-2, 0.9, 0.999, 1e-8, 0.0, 1.0), 64, 0.1, 42, 0);
    private static final int STEPS = 300;
    private static final int BATCH = 8;

    private static LlamaModel model;

    @BeforeAll
    static void createBase() {
        model = LlamaModel.random(CONFIG, 1234, DataType.FLOAT32);
    }

    @AfterAll
    static void closeBase() {
        model.close();
    }

    static List<SftExample> task(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        List<SftExample> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long[] prompt = new long[6];
            long[] completion = new long[5];
            prompt[0] = BOS;
            for (int j = 0; j < 4; j++) {
                int letter = random.nextInt(LETTERS);
                prompt[1 + j] = FIRST_LETTER + letter;
                completion[j] = FIRST_LETTER + (letter + 1) % LETTERS;
            }
            prompt[5] = SEP;
            completion[4] = EOS;
            examples.add(new SftExample(prompt, completion));
        }
        return examples;
    }

    /** Trains a fresh adapter for {@code steps} steps; returns the training-loss curve and the held-out loss. */
    private static double[] train(int steps, List<SftExample> heldOut, double[] heldOutBeforeAndAfter) {
        List<SftExample> train = task(7, 64);
        double[] curve = new double[steps];
        try (LoraAdapter adapter = LoraAdapter.create(model, LORA, 99);
             LoraTrainer trainer = new LoraTrainer(model, adapter, TRAINING)) {
            if (heldOutBeforeAndAfter != null) {
                heldOutBeforeAndAfter[0] = trainer.evaluate(heldOut, 32);
            }
            for (int step = 0; step < steps; step++) {
                int start = (step * BATCH) % train.size();
                StepResult result = trainer.sftStep(train.subList(start, start + BATCH));
                assertEquals(step + 1, result.step());
                curve[step] = result.loss();
            }
            if (heldOutBeforeAndAfter != null) {
                heldOutBeforeAndAfter[1] = trainer.evaluate(heldOut, 32);
            }
        }
        return curve;
    }

    @Test
    void rank8AdapterHalvesHeldOutLossWithin300StepsAndTheBaseStaysFrozen() {
        List<NDArray> before = new ArrayList<>();
        model.tensors().values().forEach(t -> before.add(t.duplicate()));
        List<SftExample> heldOut = task(8, 32);
        double[] heldOutLoss = new double[2];
        double[] curve = train(STEPS, heldOut, heldOutLoss);
        assertTrue(heldOutLoss[1] <= 0.5 * heldOutLoss[0],
                "held-out loss " + heldOutLoss[0] + " -> " + heldOutLoss[1] + " (training loss " + curve[0] + " -> "
                        + curve[STEPS - 1] + ")");
        int i = 0;
        for (NDArray t : model.tensors().values()) {
            assertArrayEquals(before.get(i).toFloatArray(), t.toFloatArray(), "base weights must not change");
            before.get(i++).close();
        }
    }

    @Test
    void sameSeedGivesTheSameLossCurve() {
        double[] first = train(25, null, null);
        double[] second = train(25, null, null);
        assertArrayEquals(first, second);
        assertTrue(first[24] < first[0], "training must make progress: " + first[0] + " -> " + first[24]);
    }

    @Test
    void dpoStartsAtLog2AndThenPrefersTheChosenCompletion() {
        List<PreferencePair> pairs = new ArrayList<>();
        for (SftExample e : task(9, 16)) {
            long[] wrong = e.completionIds().clone();
            wrong[0] = FIRST_LETTER + (wrong[0] - FIRST_LETTER + 5) % LETTERS;
            pairs.add(new PreferencePair(e.promptIds(), e.completionIds(), wrong));
        }
        try (LoraAdapter adapter = LoraAdapter.create(model, LORA.withDropout(0), 5);
             LoraTrainer trainer = new LoraTrainer(model, adapter,
                     TRAINING.withOptimizer(TRAINING.optimizer().withLearningRate(1e-2)))) {
            StepResult first = trainer.dpoStep(pairs.subList(0, 8));
            // B = 0: the policy equals the reference (base without adapter), so every margin is 0 and the loss log 2
            assertEquals(Math.log(2), first.loss(), 1e-6);
            double last = first.loss();
            for (int step = 1; step < 30; step++) {
                last = trainer.dpoStep(pairs.subList((step % 2) * 8, (step % 2) * 8 + 8)).loss();
            }
            assertTrue(last < 0.75 * Math.log(2), "DPO loss should fall well below log 2, got " + last);
        }
    }
}
