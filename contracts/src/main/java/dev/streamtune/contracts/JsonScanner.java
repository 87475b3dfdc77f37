package dev.streamtune.contracts;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A pull tokenizer for the strict subset of JSON that feedback events are written in, for
 * {@link FeedbackFastPath}: objects, arrays, strings and integers of up to nine digits, separated by
 * JSON's four whitespace characters. It reads bytes that are known to be well-formed UTF-8 and builds
 * a {@code String} straight from each string's bytes: an ASCII string without escapes is one copy,
 * where Jackson's parser decodes into a char buffer and copies again.
 *
 * <p>Whatever lies outside the subset ({@code true}, {@code false}, {@code null}, fractions and
 * exponents, longer integers, surrogate escapes, any syntax error) throws {@link Unsupported}; the fast
 * path then gives the bytes to the full check, which decides and reports. So the scanner only has to
 * be right about what it accepts: the JSON grammar for that subset (RFC 8259), strictly.
 */
final class JsonScanner {
    /** The tokens of the subset, as Jackson names them. */
    enum Token { START_OBJECT, END_OBJECT, START_ARRAY, END_ARRAY, FIELD_NAME, VALUE_STRING, VALUE_INT }

    /** Thrown for anything outside the subset; carries no stack trace (it is control flow). */
    static final class Unsupported extends RuntimeException {
        private Unsupported() {
            super("outside the fast path's JSON subset", null, false, false);
        }
    }

    private static final Unsupported UNSUPPORTED = new Unsupported();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_DEPTH = 62;

    // what may come next
    private static final int ROOT = 0;
    private static final int OBJECT_FIRST = 1; // a name or '}'
    private static final int OBJECT_NEXT = 2; // ',' or '}'
    private static final int AFTER_NAME = 3; // ':' and a value
    private static final int ARRAY_FIRST = 4; // a value or ']'
    private static final int ARRAY_NEXT = 5; // ',' or ']'
    private static final int END = 6; // nothing but whitespace

    private final byte[] bytes;
    private int position;
    private int state = ROOT;
    private long objects; // bit d set: the container at depth d is an object, else an array
    private int depth;
    private String name; // built from nameStart..nameEnd on demand, or at once when the name has escapes
    private int nameStart;
    private int nameEnd; // -1: the name has escapes (name holds it)
    private String text;
    private int number;
    private byte[] unescaped; // scratch for strings with escapes, allocated at the first
    private int rawStart; // the last string's bytes between its quotes
    private int rawEnd;
    private boolean verbatim;

    JsonScanner(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The next token, or null at the end of the input after the root value. */
    Token next() {
        skipWhitespace();
        switch (state) {
            case ROOT -> {
                return value();
            }
            case OBJECT_FIRST, ARRAY_FIRST -> {
                boolean object = state == OBJECT_FIRST;
                if (peek() == (object ? '}' : ']')) {
                    return close(object);
                }
                return object ? fieldName() : value();
            }
            case OBJECT_NEXT, ARRAY_NEXT -> {
                boolean object = state == OBJECT_NEXT;
                byte c = peek();
                if (c == (object ? '}' : ']')) {
                    return close(object);
                }
                expect(c == ',');
                position++;
                skipWhitespace();
                return object ? fieldName() : value();
            }
            case AFTER_NAME -> {
                expect(peek() == ':');
                position++;
                skipWhitespace();
                return value();
            }
            default -> {
                expect(position == bytes.length);
                return null;
            }
        }
    }

    /** The name of the last {@link Token#FIELD_NAME}. */
    String currentName() {
        if (name == null) {
            name = new String(bytes, nameStart, nameEnd - nameStart, StandardCharsets.UTF_8);
        }
        return name;
    }

    /**
     * Whether the last {@link Token#FIELD_NAME} is written exactly as {@code ascii} (its bytes, without
     * escapes), which settles a known name without building a {@code String}. A name written with escapes
     * never matches: the fast path then treats the field as unknown and the full check decides.
     */
    boolean nameIs(byte[] ascii) {
        return nameEnd - nameStart == ascii.length
                && Arrays.equals(bytes, nameStart, nameEnd, ascii, 0, ascii.length);
    }

    /** The byte length of the last {@link Token#FIELD_NAME} as written; -1 when it has escapes. */
    int nameLength() {
        return nameEnd - nameStart;
    }

    /** The value of the last {@link Token#VALUE_STRING}. */
    String text() {
        return text;
    }

    /** Where the last string's bytes (between its quotes, as written) start. */
    int rawStart() {
        return rawStart;
    }

    /** Where the last string's bytes end (at its closing quote). */
    int rawEnd() {
        return rawEnd;
    }

    /**
     * Whether the last string's bytes are exactly what {@code contracts}' Jackson configuration writes for
     * its value: no escapes but {@code \" \\ \b \t \n \f \r} and {@code \\u00XX} (upper case) for the other
     * control characters, no four-byte UTF-8 sequence (Jackson escapes the surrogate pair). Then a writer
     * may copy the bytes instead of encoding the value again.
     */
    boolean verbatim() {
        return verbatim;
    }

    /** The value of the last {@link Token#VALUE_INT}. */
    int intValue() {
        return number;
    }

    private Token fieldName() {
        expect(peek() == '"');
        int start = position + 1;
        int end = plainStringEnd(start);
        name = null;
        if (end >= 0) {
            nameStart = start;
            nameEnd = end;
            position = end + 1;
        } else {
            name = string();
            nameStart = 0;
            nameEnd = -1;
        }
        state = AFTER_NAME;
        return Token.FIELD_NAME;
    }

    /**
     * Where the string whose bytes start at {@code start} ends (its closing quote) when it has no escape,
     * else -1 (position unchanged). Eight bytes at a time: a name usually ends within the first eight.
     */
    private int plainStringEnd(int start) {
        int i = start;
        for (int end = bytes.length - 7; i < end; i += 8) {
            long stop = stops((long) LONGS.get(bytes, i));
            if (stop != 0) {
                return plainStop(i + (Long.numberOfTrailingZeros(stop) >>> 3));
            }
        }
        for (; i < bytes.length; i++) {
            int c = bytes[i] & 0xFF;
            if (c == '"' || c == '\\' || c < 0x20) {
                return plainStop(i);
            }
        }
        throw UNSUPPORTED;
    }

    /** {@link #plainStringEnd}'s answer at the first quote, backslash or control character, at {@code i}. */
    private int plainStop(int i) {
        byte c = bytes[i];
        if (c == '"') {
            return i;
        }
        expect(c == '\\'); // control characters must be escaped
        return -1;
    }

    private Token value() {
        byte c = peek();
        if (c == '{' || c == '[') {
            expect(depth < MAX_DEPTH);
            position++;
            boolean object = c == '{';
            objects = object ? objects | (1L << depth) : objects & ~(1L << depth);
            depth++;
            state = object ? OBJECT_FIRST : ARRAY_FIRST;
            return object ? Token.START_OBJECT : Token.START_ARRAY;
        }
        Token token;
        if (c == '"') {
            text = string();
            token = Token.VALUE_STRING;
        } else {
            number = integer();
            token = Token.VALUE_INT;
        }
        afterValue();
        return token;
    }

    private Token close(boolean object) {
        position++;
        depth--;
        afterValue();
        return object ? Token.END_OBJECT : Token.END_ARRAY;
    }

    private void afterValue() {
        state = depth == 0 ? END : (objects & (1L << (depth - 1))) != 0 ? OBJECT_NEXT : ARRAY_NEXT;
    }

    /** An integer: {@code -?(0|[1-9][0-9]{0,8})} not followed by a fraction or exponent. */
    private int integer() {
        int i = position;
        boolean negative = i < bytes.length && bytes[i] == '-';
        if (negative) {
            i++;
        }
        int start = i;
        int value = 0;
        while (i < bytes.length && bytes[i] >= '0' && bytes[i] <= '9') {
            value = value * 10 + (bytes[i] - '0');
            i++;
        }
        int digits = i - start;
        expect(digits >= 1 && digits <= 9 && (bytes[start] != '0' || digits == 1));
        expect(i == bytes.length || (bytes[i] != '.' && bytes[i] != 'e' && bytes[i] != 'E'));
        position = i;
        return negative ? -value : value;
    }

    /** The string starting at the quote at {@code position}; leaves {@code position} after its closing quote. */
    private String string() {
        int start = position + 1;
        int i = start;
        long seen = 0; // high bits: some byte was >= 0x80
        int end = bytes.length - 7;
        while (i < end) {
            long x = (long) LONGS.get(bytes, i);
            if (stops(x) != 0) {
                break;
            }
            seen |= x;
            i += 8;
        }
        while (true) {
            expect(i < bytes.length);
            int c = bytes[i] & 0xFF;
            if (c == '"') {
                position = i + 1;
                rawStart = start;
                rawEnd = i;
                boolean ascii = (seen & 0x8080808080808080L) == 0;
                verbatim = ascii || !hasFourByteLead(start, i);
                return new String(bytes, start, i - start,
                        ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
            }
            if (c == '\\') {
                return escapedString(start);
            }
            expect(c >= 0x20); // control characters must be escaped
            seen |= c;
            i++;
        }
    }

    /** Whether a byte in [from, to) leads a four-byte UTF-8 sequence (0xF0 and above in well-formed UTF-8). */
    private boolean hasFourByteLead(int from, int to) {
        int i = from;
        for (int end = to - 7; i < end; i += 8) {
            long x = (long) LONGS.get(bytes, i);
            // the top nibble 0xF: x & (x << 1) & (x << 2) & (x << 3) has the byte's high bit set
            if ((x & (x << 1) & (x << 2) & (x << 3) & 0x8080808080808080L) != 0) {
                return true;
            }
        }
        for (; i < to; i++) {
            if ((bytes[i] & 0xF0) == 0xF0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The string starting at {@code start} (after its quote) that holds escapes: unescaped into UTF-8
     * bytes (runs between escapes copied whole) and decoded once. Real text has many escapes (every
     * newline and quote); a {@code String} per run cost more than the rest of the event's parsing.
     */
    private String escapedString(int start) {
        if (unescaped == null) {
            unescaped = new byte[bytes.length]; // never longer than the escaped form: \\uXXXX is at most 3 bytes
        }
        int length = 0;
        int i = start;
        boolean canonical = true; // every escape as Jackson writes it
        while (true) {
            int stop = nextStop(i);
            expect(stop < bytes.length);
            System.arraycopy(bytes, i, unescaped, length, stop - i);
            length += stop - i;
            int c = bytes[stop];
            if (c == '"') {
                position = stop + 1;
                rawStart = start;
                rawEnd = stop;
                verbatim = canonical && !hasFourByteLead(start, stop);
                return new String(unescaped, 0, length, StandardCharsets.UTF_8);
            }
            expect(c == '\\' && stop + 1 < bytes.length); // else a control character, which must be escaped
            byte kind = bytes[stop + 1];
            i = stop + 2;
            switch (kind) {
                case '"' -> unescaped[length++] = '"';
                case '\\' -> unescaped[length++] = '\\';
                case '/' -> {
                    unescaped[length++] = '/';
                    canonical = false; // Jackson writes '/' as it is
                }
                case 'b' -> unescaped[length++] = '\b';
                case 'f' -> unescaped[length++] = '\f';
                case 'n' -> unescaped[length++] = '\n';
                case 'r' -> unescaped[length++] = '\r';
                case 't' -> unescaped[length++] = '\t';
                case 'u' -> {
                    char value = unicodeEscape(i);
                    canonical &= isCanonicalUnicodeEscape(i, value);
                    i += 4;
                    if (value < 0x80) {
                        unescaped[length++] = (byte) value;
                    } else if (value < 0x800) {
                        unescaped[length++] = (byte) (0xC0 | (value >> 6));
                        unescaped[length++] = (byte) (0x80 | (value & 0x3F));
                    } else {
                        unescaped[length++] = (byte) (0xE0 | (value >> 12));
                        unescaped[length++] = (byte) (0x80 | ((value >> 6) & 0x3F));
                        unescaped[length++] = (byte) (0x80 | (value & 0x3F));
                    }
                }
                default -> throw UNSUPPORTED;
            }
        }
    }

    /** The index of the first quote, backslash or control character at or after {@code from}, or the length. */
    private int nextStop(int from) {
        int i = from;
        for (int end = bytes.length - 7; i < end; i += 8) {
            long x = (long) LONGS.get(bytes, i);
            long stop = stops(x);
            if (stop != 0) {
                return i + (Long.numberOfTrailingZeros(stop) >>> 3);
            }
        }
        for (; i < bytes.length; i++) {
            int c = bytes[i] & 0xFF;
            if (c == '"' || c == '\\' || c < 0x20) {
                return i;
            }
        }
        return bytes.length;
    }

    /**
     * Whether the escape {@code \\u} + the four hex digits at {@code from} (of {@code value}) is how Jackson
     * writes that char: only control characters without a short escape, as {@code 00XX} in upper case.
     */
    private boolean isCanonicalUnicodeEscape(int from, char value) {
        if (value >= 0x20 || value == '\b' || value == '\t' || value == '\n' || value == '\f' || value == '\r') {
            return false;
        }
        for (int k = from + 2; k < from + 4; k++) {
            if (bytes[k] >= 'a' && bytes[k] <= 'f') {
                return false;
            }
        }
        return true;
    }

    /** The char of the four hex digits at {@code from}; surrogates are left to the full check. */
    private char unicodeEscape(int from) {
        expect(from + 4 <= bytes.length);
        int value = 0;
        for (int k = from; k < from + 4; k++) {
            int digit = Character.digit(bytes[k], 16);
            expect(digit >= 0 && bytes[k] < 0x80);
            value = value * 16 + digit;
        }
        expect(!Character.isSurrogate((char) value));
        return (char) value;
    }

    private byte peek() {
        expect(position < bytes.length);
        return bytes[position];
    }

    private void skipWhitespace() {
        while (position < bytes.length) {
            byte c = bytes[position];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            position++;
        }
    }

    private static void expect(boolean condition) {
        if (!condition) {
            throw UNSUPPORTED;
        }
    }

    /**
     * The high bit of each byte of {@code x} that is a quote, a backslash or a control character, where a
     * string's plain run stops; the lowest flagged byte is exactly the first such byte (flags above it may be
     * spurious).
     */
    private static long stops(long x) {
        return (((x - 0x2020202020202020L) & ~x) | zeroBytes(x ^ 0x2222222222222222L)
                | zeroBytes(x ^ 0x5C5C5C5C5C5C5C5CL)) & 0x8080808080808080L;
    }

    /** High bit set in (at least) each zero byte of {@code x} whose bytes are all below 0x80 (others: any). */
    private static long zeroBytes(long x) {
        return (x - 0x0101010101010101L) & ~x;
    }
}
