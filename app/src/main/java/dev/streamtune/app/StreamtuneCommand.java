package dev.streamtune.app;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code streamtune} command line: {@code up} runs everything in one JVM on an embedded
 * broker; the other commands run one stage or talk to a running system.
 *
 * <p>Errors are one line on stderr and a non-zero exit: 2 for a bad argument, 1 for a failure
 * while running. Set {@code STREAMTUNE_DEBUG=1} to see stack traces.
 */
@Command(
        name = "streamtune",
        mixinStandardHelpOptions = true,
        versionProvider = StreamtuneCommand.Version.class,
        description = "Streaming continual LoRA fine-tuning from user feedback on Kafka.",
        subcommands = {
            UpCommand.class,
            ProduceCommand.class,
            TopicsCommand.class,
            BenchCommand.class,
            GenerateCommand.class,
            IngestCommand.class,
            CommandLine.HelpCommand.class
        })
public final class StreamtuneCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, as {@code main} runs it (tests execute it the same way). */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new StreamtuneCommand());
        commandLine.setParameterExceptionHandler(StreamtuneCommand::badArgument);
        commandLine.setExecutionExceptionHandler(StreamtuneCommand::failure);
        return commandLine;
    }

    /** A bad argument: one line naming it, a hint, exit 2. */
    private static int badArgument(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        String name = command.getCommandSpec().qualifiedName(); // e.g. "streamtune bench ingest"
        err.println(command.getParent() == null
                ? name + ": " + e.getMessage()
                : name + ": " + e.getMessage() + " (see '" + name + " --help')");
        err.flush();
        return 2;
    }

    /** A failure while running: one line (the stack trace only with STREAMTUNE_DEBUG), exit 1. */
    private static int failure(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        PrintWriter err = command.getErr();
        String name = command.getCommandSpec().qualifiedName();
        err.println(name + ": " + (e instanceof UserError ? e.getMessage() : describe(e)));
        if (System.getenv("STREAMTUNE_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return e instanceof UserError userError ? userError.exitCode() : 1;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == e ? message : e.getClass().getSimpleName() + ": " + message;
    }

    /** Reads the version from the jar manifest (unknown when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = StreamtuneCommand.class.getPackage().getImplementationVersion();
            return new String[] {"streamtune " + (version == null ? "development build" : version)};
        }
    }
}
