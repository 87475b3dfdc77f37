package dev.streamtune.contracts;

import java.util.Arrays;

/**
 * Where the trained texts of an event validated from bytes stand in those bytes, for each text whose
 * bytes are exactly what {@code contracts}' Jackson configuration writes for it (no escapes but the ones
 * Jackson uses, no four-byte UTF-8 sequence). A writer of examples copies such a text's bytes instead of
 * encoding and escaping it again. Texts are found by identity: a text the event does not hold as it was
 * read (a redacted copy, say) is not found and is written as usual.
 */
public final class VerbatimTexts {
    /** For events that were not read from bytes, or not by the fast path: no text is verbatim. */
    public static final VerbatimTexts NONE = new VerbatimTexts(new byte[0]);

    private final byte[] source;
    private String[] texts = new String[4];
    private int[] ranges = new int[8]; // start, end of each text
    private int size;

    VerbatimTexts(byte[] source) {
        this.source = source;
    }

    void add(String text, int start, int end) {
        if (size == texts.length) {
            texts = Arrays.copyOf(texts, size * 2);
            ranges = Arrays.copyOf(ranges, size * 4);
        }
        texts[size] = text;
        ranges[2 * size] = start;
        ranges[2 * size + 1] = end;
        size++;
    }

    /** The slot of exactly this {@code String} object, or -1 when it is not a verbatim text of the event. */
    public int find(String text) {
        for (int i = 0; i < size; i++) {
            if (texts[i] == text) {
                return i;
            }
        }
        return -1;
    }

    /** The bytes the event was read from. */
    public byte[] source() {
        return source;
    }

    /** Where the text in {@code slot} starts in {@link #source()} (after its opening quote). */
    public int start(int slot) {
        return ranges[2 * slot];
    }

    /** Where the text in {@code slot} ends in {@link #source()} (at its closing quote). */
    public int end(int slot) {
        return ranges[2 * slot + 1];
    }
}
