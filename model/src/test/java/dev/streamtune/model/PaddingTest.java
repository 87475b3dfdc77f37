package dev.streamtune.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * Left padding with an attention mask (per-row rotary tables, attention with the padding bias): a padded row's
 * logits at its real tokens equal those of the same tokens unpadded (GQA, two rows, one padded). Rotary attention
 * depends on relative positions only, so this checks the masking and the tables' layout, not the position offset.
 */
class PaddingTest {
    static {
        CpuTuning.apply(); // before DJL loads libtorch, as in production
    }

    @Test
    void leftPaddedRowsGiveTheLogitsOfTheUnpaddedTokens() {
        ModelConfig config = ModelConfig.tinyLlama(40, 32, 2, 4, 2);
        long[] tokens = {1, 5, 7, 9, 3};
        int pad = 2;
        try (LlamaModel model = LlamaModel.random(config, 17, DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            float[] alone = model.forward(m.create(tokens, new Shape(1, tokens.length))).toFloatArray();
            int width = tokens.length + pad;
            long[] ids = new long[2 * width];
            long[] mask = new long[2 * width];
            for (int i = 0; i < tokens.length; i++) {
                ids[pad + i] = tokens[i];      // row 0: two pads, then the tokens
                mask[pad + i] = 1;
            }
            for (int i = 0; i < width; i++) {
                ids[width + i] = 2 + 3 * i;    // row 1: other tokens over the whole width
                mask[width + i] = 1;
            }
            NDArray logits = model.forward(m.create(ids, new Shape(2, width)), m.create(mask, new Shape(2, width)),
                    null, null, false);                                                            // [2, width, V]
            float[] padded = logits.get("0, " + pad + ":").toFloatArray();
            double diff = TestModels.maxAbsDiff(alone, padded);
            assertTrue(diff < 1e-5, "padded row differs from the unpadded tokens by " + diff);
        }
    }
}
