package dev.streamtune.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A model directory's {@code tokenizer.json}, through DJL's binding of Hugging Face tokenizers (works offline). */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code tokenizer.json} from a model directory. */
    public static TextTokenizer load(Path modelDirectory) throws IOException {
        Path file = modelDirectory.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException("no tokenizer.json in " + modelDirectory);
        }
        return new TextTokenizer(HuggingFaceTokenizer.newInstance(file,
                Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false")));
    }

    /** Token ids of {@code text}, with the tokenizer's special tokens (e.g. BOS) when {@code addSpecialTokens}. */
    public long[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens, false).getIds();
    }

    /** Text of {@code ids}, skipping special tokens. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
