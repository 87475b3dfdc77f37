package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtune.contracts.JsonScanner.Token;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast path's tokenizer reads its JSON subset as Jackson does and refuses the rest; the fast
 * path built on it vouches for the corpus's valid events (it must not quietly hand everything to
 * the full check: {@code FastPathAgreementTest} in ingest compares the two on many more inputs).
 */
class JsonScannerTest {
    @Test
    void tokensOfTheSubset() {
        JsonScanner scanner = scanner(" {\"a\" : \"x\\n\\\"y\\u00e9\\/\", \"b\":[-12, 0,{}],\"c\":\"é😀\"}\r\n");
        List<String> seen = new ArrayList<>();
        for (Token token = scanner.next(); token != null; token = scanner.next()) {
            seen.add(switch (token) {
                case FIELD_NAME -> "name:" + scanner.currentName();
                case VALUE_STRING -> "string:" + scanner.text();
                case VALUE_INT -> "int:" + scanner.intValue();
                default -> token.name();
            });
        }
        assertEquals(List.of("START_OBJECT", "name:a", "string:x\n\"yé/", "name:b", "START_ARRAY", "int:-12",
                "int:0", "START_OBJECT", "END_OBJECT", "END_ARRAY", "name:c", "string:é😀", "END_OBJECT"), seen);
    }

    @Test
    void stringsWithEscapesReadAsJacksonReadsThem() throws Exception {
        // escapes of every kind, raw multi-byte UTF-8 and plain runs of lengths around the 8-byte scan
        String[] pieces = {"a", "plain words ", "0123456", "01234567", "012345678", "\\n", "\\\"", "\\\\",
            "\\/", "\\t", "\\b", "\\f", "\\r", "\\u0041", "\\u00e9", "\\u00E9", "\\u07FF", "\\u0800",
            "\\u20ac", "\\uFFFF", "\\u0001", "\\u001F", "\\u007f", "é", "€", "😀", "?", "'", "\u007f"};
        Random random = new Random(5);
        int escaped = 0;
        int verbatim = 0;
        int notVerbatim = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder document = new StringBuilder("{");
            for (String field : List.of("a", "b")) {
                document.append(field.equals("a") ? "\"a\":\"" : "\",\"b\":\"");
                for (int n = random.nextInt(30); n > 0; n--) {
                    document.append(pieces[random.nextInt(pieces.length)]);
                }
            }
            String json = document.append("\"}").toString();
            JsonNode expected = Json.mapper().readTree(json);
            JsonScanner scanner = scanner(json);
            assertEquals(Token.START_OBJECT, scanner.next());
            for (String field : List.of("a", "b")) {
                assertEquals(Token.FIELD_NAME, scanner.next(), json);
                assertEquals(Token.VALUE_STRING, scanner.next(), json);
                assertEquals(expected.get(field).textValue(), scanner.text(), json);
                // verbatim: the bytes between the quotes are what Jackson writes for the value
                byte[] written = Json.mapper().writeValueAsBytes(scanner.text());
                byte[] raw = Arrays.copyOfRange(bytes(json), scanner.rawStart() - 1, scanner.rawEnd() + 1);
                assertEquals(Arrays.equals(written, raw), scanner.verbatim(), json);
                verbatim += scanner.verbatim() ? 1 : 0;
                notVerbatim += scanner.verbatim() ? 0 : 1;
            }
            assertEquals(Token.END_OBJECT, scanner.next());
            assertNull(scanner.next());
            escaped += json.indexOf('\\') >= 0 ? 1 : 0;
        }
        assertTrue(escaped > 15_000, "with escapes: " + escaped);
        assertTrue(verbatim > 2_000 && notVerbatim > 20_000, "verbatim " + verbatim + ", not " + notVerbatim);
    }

    @Test
    void refusesWhatLiesOutsideTheSubsetOrIsNotJson() {
        for (String json : List.of("{\"a\":true}", "{\"a\":null}", "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":01}",
                "{\"a\":-}", "{\"a\":1234567890}", "{\"a\":+1}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\x\"}",
                "{\"a\":\"\\u00g0\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"open}", "{\"a\":1,}", "{,\"a\":1}",
                "{\"a\" 1}", "{\"a\"::1}", "[1 2]", "[1,]", "{\"a\":1]", "[1}", "{\"a\":1}x", "{\"a\":1}{}",
                "{\u000B\"a\":1}", "{'a':1}", "{a:1}", "")) {
            assertThrows(JsonScanner.Unsupported.class, () -> drain(json), json);
        }
    }

    @Test
    void theFastPathVouchesForTheValidCorpus() {
        int vouched = 0;
        List<String> notVouched = new ArrayList<>();
        for (JsonNode event : Corpus.valid()) {
            byte[] bytes = event.toString().getBytes(StandardCharsets.UTF_8);
            FeedbackEvent fast = FeedbackFastPath.tryParse(bytes, ValidationLimits.DEFAULTS);
            if (fast != null) {
                assertEquals(new FeedbackValidator().validate(event).event(), fast, event.toString());
                vouched++;
            } else {
                notVouched.add(event.toString());
            }
        }
        // all but the rating written as 1.0, a number outside the scanner's subset (the full check accepts it)
        assertEquals(List.of(), notVouched.stream().filter(json -> !json.contains("\"rating\":1.0")).toList());
        assertEquals(Corpus.valid().size() - 1, vouched, notVouched.toString());
    }

    @Test
    void theFastPathLeavesRefusedSyntaxToTheFullCheck() {
        String valid = "{\"schema\":\"streamtune.feedback/v1\",\"id\":\"e1\",\"time\":\"2026-11-27T09:00:00Z\","
                + "\"adapter\":\"email-drafting\",\"user\":\"u1\",\"kind\":\"rating\",\"prompt\":\"p\","
                + "\"response\":\"r\",\"rating\":1}";
        assertNotNull(FeedbackFastPath.tryParse(bytes(valid), ValidationLimits.DEFAULTS));
        assertNull(FeedbackFastPath.tryParse(bytes(valid.replace("\"rating\":1", "\"rating\":1.0")),
                ValidationLimits.DEFAULTS));
        assertNull(FeedbackFastPath.tryParse(bytes(valid + ","), ValidationLimits.DEFAULTS));
    }

    private static void drain(String json) {
        JsonScanner scanner = scanner(json);
        while (scanner.next() != null) {
            // read every token
        }
    }

    private static JsonScanner scanner(String json) {
        return new JsonScanner(bytes(json));
    }

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }
}
