package dev.streamtune.model.io;

import dev.streamtune.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads a base model from a Hugging Face directory or a llama2.c {@code .bin} file. */
public final class ModelLoader {
    private ModelLoader() {}

    /** Loads {@code path}: a directory with config.json (HF layout) or a llama2.c {@code .bin} checkpoint. */
    public static LlamaModel load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return HfCheckpoint.load(path);
        }
        if (Files.isRegularFile(path)) {
            return Llama2cCheckpoint.load(path);
        }
        throw new java.io.FileNotFoundException("no model at " + path);
    }
}
