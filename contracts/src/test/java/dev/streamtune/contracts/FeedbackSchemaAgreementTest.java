package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.InputStream;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
  * The shipped JSON Schema and the Java validator must agree on every corpus event: apps that
  * validate with the schema get the verdict ingest will give.
  */
class FeedbackSchemaAgreementTest {
    private static JsonSchema schema;
    private final FeedbackValidator validator = new FeedbackValidator();

    @BeforeAll
    static void loadSchema() throws Exception {
        SchemaValidatorsConfig config =
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        try (InputStream in = FeedbackSchema.open()) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in, config);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.streamtune.contracts.Corpus#valid")
    void schemaAcceptsWhatTheValidatorAccepts(JsonNode event) {
        assertTrue(validator.validate(event).isValid());
        Set<ValidationMessage> errors = schema.validate(event);
        assertEquals(Set.of(), errors);
    }

    @ParameterizedTest
    @MethodSource("dev.streamtune.contracts.Corpus#invalid")
    void schemaRefusesWhatTheValidatorRefuses(Corpus.Invalid invalid) {
        assertFalse(validator.validate(invalid.event()).isValid());
        assertFalse(schema.validate(invalid.event()).isEmpty(),
                () -> "schema accepted an event the validator refuses as " + invalid.expectedReason());
    }
}
