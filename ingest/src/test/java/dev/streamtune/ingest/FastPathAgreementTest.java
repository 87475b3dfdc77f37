package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamtune.contracts.ChatMessage;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.FeedbackKind;
import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.Json;
import dev.streamtune.contracts.SourceOffset;
import dev.streamtune.contracts.TrainingExample;
import dev.streamtune.contracts.ValidationLimits;
import dev.streamtune.contracts.ValidationResult;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hot path's shortcuts agree with what they replace: the validator's streaming fast path with
 * its full tree check, {@link ExampleJson} with Jackson byte for byte, and {@link Redactor} with
 * its previous version ({@link ReferenceRedactor}), on the synthetic workload and on mutations of
 * it aimed at every rule.
 */
class FastPathAgreementTest {
    private static final FeedbackValidator VALIDATOR = new FeedbackValidator();
    private static final List<SyntheticFeedback.Record> RECORDS =
            new SyntheticFeedback(3000, 0.05, 0.0, List.of("email-drafting", "acme/scheduling"), 100, 0.01, 11)
                    .generate();

    /** Field values the full check has rules about, valid and not. */
    private static final Map<String, List<String>> VARIANTS = Map.ofEntries(
            Map.entry("schema", List.of("\"streamtune.feedback/v1\"", "\"streamtune.feedback/v2\"", "1", "null")),
            Map.entry("id", List.of("\"a\"", "\"A.b_c:d-e\"", "\"-a\"", "\"a b\"", "\"" + "x".repeat(128) + "\"",
                    "\"" + "x".repeat(129) + "\"", "\"\"", "7")),
            Map.entry("user", List.of("\"u:1\"", "\"_u\"", "\"\"", "[]")),
            Map.entry("adapter", List.of("\"a\"", "\"acme/scheduling\"", "\"a/b/c\"", "\"Acme\"", "\"a/\"", "\"/a\"",
                    "\"" + "a".repeat(63) + "\"", "\"" + "a".repeat(64) + "\"", "\"a-._/0\"", "\".a\"")),
            Map.entry("time", List.of("\"2026-11-27T09:00:00Z\"", "\"2024-02-29T09:00:00Z\"",
                    "\"2023-02-29T09:00:00Z\"", "\"2026-04-31T09:00:00Z\"", "\"2026-12-31T23:59:59.123456789Z\"",
                    "\"2026-12-31T23:59:59.1234567890Z\"", "\"2026-11-27T24:00:00Z\"", "\"2026-11-27T09:60:00Z\"",
                    "\"2026-11-27T09:00:60Z\"", "\"2026-11-27T09:00:00+05:30\"", "\"2026-11-27T09:00:00-00:00\"",
                    "\"2026-11-27T09:00:00+18:00\"", "\"2026-11-27T09:00:00+18:01\"", "\"2026-11-27T09:00:00+19:00\"",
                    "\"2026-11-27T09:00:00+17:60\"", "\"2026-13-01T09:00:00Z\"", "\"2026-00-01T09:00:00Z\"",
                    "\"0000-01-01T00:00:00Z\"", "\"2026-11-27 09:00:00Z\"", "\"2026-11-27T09:00:00\"",
                    "\"2026-11-27T09:00:00z\"", "\"2026-11-27T09:00:00.Z\"", "\"2026-11-00T09:00:00Z\"")),
            Map.entry("kind", List.of("\"demonstration\"", "\"correction\"", "\"rating\"", "\"preference\"",
                    "\"Rating\"", "\"thumbs\"")),
            Map.entry("prompt", List.of("\"p\"", "\" \\t\\n \"", "\"\\u000b\\f\\r x\"", "\"\\u00a0\"", "\"\"", "null",
                    "\"" + "y".repeat(32 * 1024) + "\"", "\"" + "y".repeat(32 * 1024 + 1) + "\"",
                    "\"" + "é".repeat(16 * 1024) + "\"", "\"" + "é".repeat(16 * 1024 + 1) + "\"",
                    "\"\\ud83d\\ude00\"", "\"\\ud800\"")),
            Map.entry("messages", List.of("[{\"role\":\"user\",\"content\":\"hi\"}]",
                    "[{\"content\":\"hi\",\"role\":\"system\"},{\"role\":\"assistant\",\"content\":\"yo\"}]", "[]",
                    "[{\"role\":\"bot\",\"content\":\"hi\"}]", "[{\"role\":\"user\"}]",
                    "[{\"role\":\"user\",\"content\":\"hi\",\"x\":1}]", "[{\"role\":\"user\",\"content\":\" \"}]",
                    "[{\"role\":\"user\",\"content\":null}]", "[\"hi\"]", "{}", "null")),
            Map.entry("completion", List.of("\"c\"", "\"  \"", "3", "null")),
            Map.entry("response", List.of("\"r\"", "\"\"", "null")),
            Map.entry("corrected", List.of("\"c\"", "\"\\n\"", "null")),
            Map.entry("rating", List.of("1", "-1", "1.0", "-1e0", "2", "0", "\"1\"", "null", "10000000000")),
            Map.entry("chosen", List.of("\"a\"", "\" \"", "null")),
            Map.entry("rejected", List.of("\"b\"", "[]", "null")),
            Map.entry("servedBy", List.of("\"email-drafting@7\"", "\"a b\"", "\"\"", "\"" + "s".repeat(256) + "\"",
                    "\"" + "s".repeat(257) + "\"", "\"\\ud83d\\ude00\"", "7", "null")),
            Map.entry("metadata", List.of("{}", "{\"app\":\"mail\"}", "{\"a\":1}", "{\"a\":null}", "[]", "null",
                    "{\"a\":\"" + "m".repeat(32 * 1024 + 1) + "\"}")),
            Map.entry("colour", List.of("\"red\"")));

    @Test
    void validatorFastPathAgreesWithTheFullCheck() throws java.io.IOException {
        Random random = new Random(5);
        int compared = 0;
        int valid = 0;
        List<String> fields = new ArrayList<>(VARIANTS.keySet());
        fields.sort(null);
        for (SyntheticFeedback.Record record : RECORDS) {
            compared += agree(record.value()) ? 1 : 0;
            if (record.expectation() == SyntheticFeedback.Expectation.INVALID) {
                continue;
            }
            valid++;
            ObjectNode tree = (ObjectNode) Json.mapper().readTree(record.value());
            for (int mutation = 0; mutation < 6; mutation++) {
                ObjectNode copy = tree.deepCopy();
                int changes = 1 + random.nextInt(2);
                for (int c = 0; c < changes; c++) {
                    String field = fields.get(random.nextInt(fields.size()));
                    List<String> values = VARIANTS.get(field);
                    if (random.nextInt(8) == 0) {
                        copy.remove(field);
                    } else {
                        copy.set(field, Json.mapper().readTree(values.get(random.nextInt(values.size()))));
                    }
                }
                compared += agree(Json.toBytes(copy)) ? 1 : 0;
            }
            // duplicate keys, trailing data, a byte-order mark, whitespace: text-level edits
            String json = new String(record.value(), StandardCharsets.UTF_8);
            for (String edited : List.of(json.replaceFirst("\\{", "{\"id\":\"dup\","), json + " {}", json + "  \n",
                    "\uFEFF" + json, " " + json, json.replace("\":\"", "\" : \""),
                    json.replaceFirst("\"app\":\"mail\"", "\"app\":\"mail\",\"app\":\"x\""),
                    // JSON syntax at the edges of the fast path's scanner
                    json.replace("\"locale\":\"en\"", "\"locale\":\"en\","),
                    json.replaceFirst("\\{", "{,"), json.replace(",", " ,\r\n\t"), json.replace(",", ",\u000B"),
                    json.replace("\"app\"", "\"\\u0061pp\""), json.replace("\"mail\"", "\"ma\\/il\""),
                    json.replace("\"mail\"", "\"ma\\qil\""), json.replace("\"mail\"", "\"ma\\u00zzil\""),
                    json.replace("\"mail\"", "\"ma\til\""), json.replace("\"mail\"", "\"ma\\ud83d\\ude00il\""),
                    json.replace("\"rating\":1", "\"rating\":01"), json.replace("\"rating\":1", "\"rating\":1.0"),
                    json.replace("\"rating\":-1", "\"rating\":-01"), json.replace("\"rating\":1", "\"rating\":1e0"),
                    json.replace("\"rating\":1", "\"rating\":+1"), json.replace("\"rating\":1", "\"rating\":true"),
                    json.replaceFirst("\\}$", "]"), json.replaceFirst("\\}$", ""), json.replace(":", "::"),
                    json.replaceFirst("\"messages\":\\[", "\"messages\":[ "),
                    json.replaceFirst("\\}\\]", "},]"), json.replaceFirst("\\}\\]", "}]]"))) {
                compared += agree(edited.getBytes(StandardCharsets.UTF_8)) ? 1 : 0;
            }
        }
        assertTrue(valid > 2000 && compared > 20_000, "compared " + compared);
        // limits are the validator's, not constants: a tighter one applies to the fast path too
        FeedbackValidator tight = new FeedbackValidator(new ValidationLimits(100, 2000, 2));
        for (SyntheticFeedback.Record record : RECORDS.subList(0, 300)) {
            ValidationResult result = tight.validate(record.value());
            if (record.value().length <= 2000 && record.expectation() != SyntheticFeedback.Expectation.INVALID) {
                ValidationResult full = tight.validate(Json.mapper().readTree(record.value()));
                assertEquals(full.isValid(), result.isValid(), new String(record.value(), StandardCharsets.UTF_8));
                assertEquals(full.event(), result.event());
            }
        }
    }

    /**
     * Compares {@code validate(bytes)} (fast path, then the full check) with the full check on the
     * parsed tree, for bytes the tree check can be given: well-formed UTF-8 within the event limit
     * that parse strictly as an object.
     */
    private static boolean agree(byte[] bytes) {
        ValidationResult result = VALIDATOR.validate(bytes);
        JsonNode tree;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            tree = Json.strictReader().readTree(text);
        } catch (RuntimeException | java.io.IOException e) {
            assertTrue(!result.isValid(), "accepted what does not parse: " + new String(bytes, StandardCharsets.UTF_8));
            return false;
        }
        if (tree == null || !tree.isObject() || bytes.length > VALIDATOR.limits().maxEventBytes()) {
            assertTrue(!result.isValid());
            return false;
        }
        ValidationResult full = VALIDATOR.validate(tree);
        String what = new String(bytes, 0, Math.min(bytes.length, 600), StandardCharsets.UTF_8);
        assertEquals(full.isValid(), result.isValid(), what);
        assertEquals(full.event(), result.event(), what);
        assertEquals(full.violations(), result.violations(), what);
        return true;
    }

    @Test
    void examplesAreWrittenAsJacksonWritesThem() {
        List<FeedbackEvent> events = new ArrayList<>();
        for (SyntheticFeedback.Record record : RECORDS) {
            ValidationResult result = VALIDATOR.validate(record.value());
            if (result.isValid()) {
                events.add(result.event());
            }
        }
        String awkward = "tab\there \"quoted\" back\\slash \u0000\u0001\u001f\b\f\r\n/ \u007f é € \uD83D\uDE00 "
                + "\uD800 lone \uDFFF end";
        events.add(FeedbackEvent.demonstration("e-1", Events.TIME, "a", "u", awkward, awkward));
        events.add(FeedbackEvent.correction("e-2", Events.TIME, "a", "u", "p " + awkward, "r", awkward));
        events.add(FeedbackEvent.rating("e-3", "2026-11-27T09:00:00.5+01:00", "a/b", "u", awkward, awkward, -1));
        events.add(FeedbackEvent.rating("e-4", Events.TIME, "a", "u", "p", "call +44 20 7946 0958", 1));
        // plain ASCII but for one char: the writer's copy-the-bytes shortcut must not take these
        events.add(FeedbackEvent.demonstration("e-7", Events.TIME, "a", "u", "plain words, a lone \uD800 here",
                "plain words and a question?"));
        events.add(FeedbackEvent.demonstration("e-8", Events.TIME, "a", "u", "plain words with one caf\u00e9",
                "plain words with one \uDFFF low surrogate"));
        events.add(FeedbackEvent.preference("e-5", Events.TIME, "a", "u",
                List.of(new ChatMessage("system", awkward), new ChatMessage("user", "mail sam@example.com"),
                        new ChatMessage("assistant", "ok")), awkward, "x"));
        events.add(new FeedbackEvent(FeedbackEvent.SCHEMA_V1, "e-6", Events.TIME, "a", "u", FeedbackKind.CORRECTION,
                null, List.of(new ChatMessage("user", "q")), null, "r", "c", null, null, null, "a@1",
                Map.of("k", "v")));
        int examples = 0;
        for (FeedbackEvent event : events) {
            for (boolean redact : new boolean[] {true, false}) {
                SourceOffset source = new SourceOffset("feedback.events", examples % 7, 1L << 40 | examples);
                List<TrainingExample> expected = ExampleExpander.expand(event, source, redact);
                List<byte[]> written = ExampleExpander.expandSerialised(event, source, redact);
                // read from bytes, as ingest does: texts written as Jackson writes them are copied
                ValidationResult read = VALIDATOR.validate(Json.toBytes(event));
                List<byte[]> copied = read.isValid()
                        ? ExampleExpander.expandSerialised(read.event(), read.verbatim(), source, redact) : written;
                assertEquals(expected.size(), written.size());
                for (int i = 0; i < written.size(); i++) {
                    assertArrayEquals(Json.toBytes(expected.get(i)), written.get(i),
                            () -> new String(written.get(0), StandardCharsets.UTF_8));
                    assertArrayEquals(Json.toBytes(expected.get(i)), copied.get(i),
                            () -> new String(copied.get(0), StandardCharsets.UTF_8));
                    assertEquals(expected.get(i), Json.fromBytes(written.get(i), TrainingExample.class));
                    examples++;
                }
            }
        }
        assertTrue(examples > 5000, "examples " + examples);
    }

    @Test
    void textsOfEveryKindAreEscapedAsJacksonEscapesThem() {
        // plain runs around the 8-byte scan, what needs an escape, '?' (also what the encoder writes for a
        // lone surrogate), 2-, 3- and 4-byte UTF-8, lone surrogates
        String[] pieces = {"a", "plain words ", "0123456", "01234567", "012345678", "?", "\"", "\\", "\n", "\t",
            "\u0001", "\u001f", "\u007f", "/", "é", "€", "\u2028", "\ud83d\ude00", "\ud800", "\udfff", "[email]"};
        Random random = new Random(9);
        for (int i = 0; i < 20_000; i++) {
            String prompt = randomText(random, pieces);
            String completion = randomText(random, pieces);
            FeedbackEvent event = FeedbackEvent.demonstration("e-" + i, Events.TIME, "a", "u",
                    prompt.isBlank() ? "p" : prompt, completion.isBlank() ? "c" : completion);
            SourceOffset source = new SourceOffset("feedback.events", 0, i);
            List<TrainingExample> expected = ExampleExpander.expand(event, source, false);
            List<byte[]> written = ExampleExpander.expandSerialised(event, source, false);
            assertArrayEquals(Json.toBytes(expected.get(0)), written.get(0), completion);
            ValidationResult read = VALIDATOR.validate(Json.toBytes(event));
            if (read.isValid()) {
                assertArrayEquals(Json.toBytes(expected.get(0)),
                        ExampleExpander.expandSerialised(read.event(), read.verbatim(), source, false).get(0), completion);
            }
        }
    }

    private static String randomText(Random random, String[] pieces) {
        StringBuilder text = new StringBuilder();
        for (int n = random.nextInt(40); n > 0; n--) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.toString();
    }

    @Test
    void redactorRedactsWhatItsPreviousVersionDid() {
        Random random = new Random(3);
        String[] pieces = {"1", "2", "0", "9", "12", "555", "0132", "7946", " ", "-", ".", "+", "(", ")", "/", ",", "x",
            "a", "@", "sam", "example.com", "+44 20 7946 0958", "(415) 555-0132", "415-555-0132", "2026-11-27",
            "10.0.0.1", "v1.2.3", "020 7946 0958", "07700 900123", "_", "é", "\n",
            // beyond Latin-1 (the digit search then reads chars, not bytes): a pair, a dash, a lone surrogate
            "\ud83d\ude00", "\u2014", "\ud800"};
        int changed = 0;
        for (int i = 0; i < 50_000; i++) {
            StringBuilder text = new StringBuilder();
            int n = 1 + random.nextInt(24);
            for (int j = 0; j < n; j++) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            String input = text.toString();
            String expected = ReferenceRedactor.redact(input);
            assertEquals(expected, Redactor.redact(input), input);
            changed += expected.equals(input) ? 0 : 1;
        }
        // e-mail addresses: labels, dots, hyphens, lengths around the limits
        String[] mail = {"@", "@", ".", ".", "-", "_", "%", "+", "a", "b1", "co", "uk", "com", "x-y", "-z", "Q",
            "7", "example", "mail.example.co.uk", "sam", "é", " ", ",", "a".repeat(24), "b".repeat(25),
            "c".repeat(62), "d".repeat(64), "e".repeat(65), "a.b.c.d.e.f.g.h.i.j"};
        int mails = 0;
        for (int i = 0; i < 50_000; i++) {
            StringBuilder text = new StringBuilder();
            int n = 1 + random.nextInt(12);
            for (int j = 0; j < n; j++) {
                text.append(mail[random.nextInt(mail.length)]);
                if (random.nextInt(3) == 0) { // shaped like an address: labels joined by dots
                    text.append('@');
                    for (int label = random.nextInt(10); label >= 0; label--) {
                        text.append(mail[random.nextInt(mail.length)]).append(label > 0 ? "." : "");
                    }
                }
            }
            String input = text.toString();
            String expected = ReferenceRedactor.redact(input);
            assertEquals(expected, Redactor.redact(input), input);
            mails += expected.contains(Redactor.EMAIL) ? 1 : 0;
        }
        for (SyntheticFeedback.Record record : RECORDS) {
            String text = new String(record.value(), StandardCharsets.UTF_8);
            assertEquals(ReferenceRedactor.redact(text), Redactor.redact(text));
        }
        assertTrue(changed > 5000, "redacted " + changed);
        assertTrue(mails > 5000, "e-mails redacted " + mails);
    }
}
