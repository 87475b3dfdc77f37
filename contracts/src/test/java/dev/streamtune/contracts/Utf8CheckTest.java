package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fast path's UTF-8 check against the JDK decoder with malformed input reported (what the full check uses):
 * every one- and two-byte input, every three-byte form, other three- and four-byte inputs around every
 * boundary of the encoding, and random mixtures with ASCII runs (the check skips those eight at a time).
 */
class Utf8CheckTest {
    /** Bytes at the edges of the encoding's ranges. */
    private static final int[] INTERESTING = {0x00, 0x3F, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
        0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    @Test
    void agreesWithTheJdkDecoderOnEveryShortInput() {
        for (int a = 0; a < 256; a++) {
            check(new byte[] {(byte) a});
            for (int b = 0; b < 256; b++) {
                check(new byte[] {(byte) a, (byte) b});
            }
        }
        for (int lead = 0xE0; lead <= 0xEF; lead++) { // every three-byte form
            for (int b = 0; b < 256; b++) {
                for (int c = 0; c < 256; c++) {
                    check(new byte[] {(byte) lead, (byte) b, (byte) c});
                }
            }
        }
        for (int lead : INTERESTING) { // other leads before every second byte and each kind of third
            for (int b = 0; b < 256; b++) {
                for (int c : INTERESTING) {
                    check(new byte[] {(byte) lead, (byte) b, (byte) c});
                }
            }
        }
    }

    @Test
    void agreesOnFourByteFormsAroundEveryBoundary() {
        for (int lead = 0xF0; lead <= 0xFF; lead++) {
            for (int b : INTERESTING) {
                for (int c : INTERESTING) {
                    for (int d : INTERESTING) {
                        check(new byte[] {(byte) lead, (byte) b, (byte) c, (byte) d});
                        check(new byte[] {'a', 'b', (byte) lead, (byte) b, (byte) c, (byte) d, 'z'});
                    }
                }
            }
        }
    }

    @Test
    void agreesOnRandomMixturesWithAsciiRuns() {
        SplittableRandom random = new SplittableRandom(11);
        int valid = 0;
        for (int n = 0; n < 200_000; n++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) switch (random.nextInt(4)) {
                    case 0, 1 -> 0x20 + random.nextInt(0x5F);         // ASCII
                    case 2 -> 0x80 + random.nextInt(0x40);            // continuation
                    default -> 0xC0 + random.nextInt(0x40);           // lead (or invalid)
                };
            }
            valid += check(bytes) ? 1 : 0;
        }
        for (String text : new String[] {"plain ascii text, longer than eight bytes", "caf\u00e9 \u2014 \u6f22\u5b57",
            "emoji \ud83d\ude00 and more ascii after it", ""}) {
            assertTrue(check(text.getBytes(StandardCharsets.UTF_8)), text);
        }
        assertTrue(valid > 1000, "the random inputs should include valid UTF-8 too, got " + valid);
        assertFalse(FeedbackFastPath.isUtf8(new byte[] {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', (byte) 0xED,
            (byte) 0xA0, (byte) 0x80}), "an encoded surrogate after an ASCII run");
    }

    /** Asserts that both agree; returns whether the bytes are valid. */
    private boolean check(byte[] bytes) {
        boolean expected;
        try {
            decoder.decode(ByteBuffer.wrap(bytes));
            expected = true;
        } catch (CharacterCodingException e) {
            expected = false;
        }
        assertEquals(expected, FeedbackFastPath.isUtf8(bytes), () -> HexFormat.of().formatHex(bytes));
        return expected;
    }
}
