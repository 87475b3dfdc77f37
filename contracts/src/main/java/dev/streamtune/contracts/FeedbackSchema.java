package dev.streamtune.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
  * The JSON Schema (2020-12) of feedback events, for apps in any language to validate before they
  * produce. It ships in this jar at {@value #RESOURCE} and in the source tree beside this class.
  */
public final class FeedbackSchema {
    /** Class-path location of the schema. */
    public static final String RESOURCE = "/dev/streamtune/contracts/feedback.schema.json";

    private FeedbackSchema() {}

    /** Opens the schema; the caller closes the stream. */
    public static InputStream open() {
        InputStream in = FeedbackSchema.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new IllegalStateException("feedback.schema.json missing from the class path");
        }
        return in;
    }

    /** The schema as text. */
    public static String text() {
        try (InputStream in = open()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
