package dev.streamtune.app;

import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.TextTokenizer;
import dev.streamtune.model.generate.Generator;
import dev.streamtune.model.generate.SamplingConfig;
import dev.streamtune.model.io.ModelLoader;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.PeftAdapters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code streamtune generate}: continue a prompt with a base model and optionally a LoRA adapter. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation with a base model (HF directory or llama2.c .bin) and an optional PEFT adapter.")
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "HF model directory or llama2.c .bin file")
    Path model;

    @Option(names = "--adapter", description = "PEFT LoRA adapter directory")
    Path adapter;

    @Option(names = "--prompt", description = "prompt text (needs tokenizer.json in the model directory)")
    String prompt;

    @Option(names = "--prompt-ids", split = ",", description = "prompt token ids, used verbatim, e.g. 1,3,100")
    long[] promptIds;

    @Option(names = "--max-new-tokens", required = true, description = "how many tokens to generate at most")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default)")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus sampling mass (default 1)")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default 0)")
    long seed;

    @Option(names = "--ids", description = "print token ids, comma-separated, instead of text")
    boolean printIds;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        if ((prompt == null) == (promptIds == null)) {
            throw new ParameterException(cmd, "give exactly one of --prompt or --prompt-ids");
        }
        if (promptIds != null && promptIds.length == 0) {
            throw new ParameterException(cmd, "--prompt-ids needs at least one id");
        }
        if (maxNewTokens < 0) {
            throw new ParameterException(cmd, "--max-new-tokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || !(topP > 0 && topP <= 1)) {
            throw new ParameterException(cmd, "--temperature must be >= 0 and --top-p in (0, 1]");
        }
        if (!Files.exists(model)) {
            throw new ParameterException(cmd, "model not found: " + model);
        }
        if (adapter != null && !Files.isRegularFile(adapter.resolve(PeftAdapters.CONFIG))) {
            throw new ParameterException(cmd, "no adapter_config.json in adapter directory " + adapter);
        }
        if (prompt != null && !Files.isRegularFile(model.resolve("tokenizer.json"))) {
            throw new ParameterException(cmd, "--prompt needs " + model.resolve("tokenizer.json") + "; use --prompt-ids");
        }
        try (LlamaModel base = ModelLoader.load(model);
             LoraAdapter lora = adapter == null ? null : PeftAdapters.load(adapter, base);
             TextTokenizer tokenizer = prompt == null ? null : TextTokenizer.load(model)) {
            long[] ids = prompt != null ? tokenizer.encode(prompt, true) : promptIds;
            for (long id : ids) {
                if (id < 0 || id >= base.config().vocabSize()) {
                    throw new ParameterException(cmd, "prompt id " + id + " is outside the vocabulary of "
                            + base.config().vocabSize());
                }
            }
            Set<Long> stop = new HashSet<>();
            base.config().eosTokenIds().forEach(id -> stop.add(id.longValue()));
            SamplingConfig sampling = new SamplingConfig(maxNewTokens, temperature, topP, seed, stop);
            long[] out = new Generator(base).generate(ids, lora, sampling);
            if (printIds || tokenizer == null) {
                System.out.println(LongStream.of(out).mapToObj(Long::toString).collect(Collectors.joining(",")));
            } else {
                System.out.println(tokenizer.decode(out));
            }
        } catch (java.io.IOException e) {
            throw new ParameterException(cmd, e.getMessage());
        }
        return 0;
    }
}
