package dev.streamtune.ingest;

import dev.streamtune.contracts.ChatMessage;
import dev.streamtune.contracts.ExampleKind;
import dev.streamtune.contracts.FeedbackKind;
import dev.streamtune.contracts.SourceOffset;
import dev.streamtune.contracts.TrainingExample;
import dev.streamtune.contracts.VerbatimTexts;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Writes {@link TrainingExample} JSON by hand, byte for byte what {@code contracts}' Jackson
 * configuration writes (same field order, nulls left out, same escapes: {@code \" \\ \b \t \n \f \r},
 * six-character hex escapes (upper case) for other control characters and for each UTF-16 surrogate,
 * everything else as UTF-8), without reflection and without building the record first. The texts
 * an event's examples share (its prompt or chat turns, ids, source, time) are escaped once and
 * copied into each example. {@code ExampleJsonTest} compares it with Jackson.
 */
final class ExampleJson {
    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SCHEMA_AND_ID =
            ascii("{\"schema\":\"" + TrainingExample.SCHEMA_V1 + "\",\"exampleId\":\"");
    private static final byte[] COMPLETION = ascii(",\"completion\":");
    private static final byte[] CHOSEN = ascii(",\"chosen\":");
    private static final byte[] REJECTED = ascii(",\"rejected\":");
    private static final byte[][] KINDS = new byte[ExampleKind.values().length][];

    static {
        for (ExampleKind kind : ExampleKind.values()) {
            KINDS[kind.ordinal()] = ascii("\"" + kind.wireName() + "\"");
        }
    }

    private final VerbatimTexts verbatim;
    private final PlainTexts plain;
    private final byte[] eventId;
    private final byte[] afterExampleId; // ,"eventId":…,"adapter":…,"user":…,"kind":
    private final byte[] origin; // ,"origin":"…"
    private final byte[] prompt; // ,"prompt":"…" or ,"messages":[…]
    private final byte[] tail; // ,"source":{…},"time":"…"}

    /**
     * The parts of {@code event}'s examples that do not depend on the example. Texts that {@code verbatim}
     * holds are copied from the event's bytes, texts that {@code plain} holds are copied from their chars.
     */
    ExampleJson(String eventId, String adapter, String user, FeedbackKind origin, String prompt,
            List<ChatMessage> messages, SourceOffset source, String time, VerbatimTexts verbatim,
            PlainTexts plain) {
        this.verbatim = verbatim;
        this.plain = plain;
        this.eventId = quotedBody(eventId);
        Buffer after = new Buffer(128);
        after.ascii(",\"eventId\":").quoted(eventId).ascii(",\"adapter\":").quoted(adapter)
                .ascii(",\"user\":").quoted(user).ascii(",\"kind\":");
        this.afterExampleId = after.toBytes();
        this.origin = ascii(",\"origin\":\"" + origin.wireName() + "\"");
        Buffer text = new Buffer(prompt != null ? prompt.length() + 16 : 256);
        if (prompt != null) {
            text.ascii(",\"prompt\":").quote().bytes(body(prompt)).quote();
        } else {
            text.ascii(",\"messages\":[");
            for (int i = 0; i < messages.size(); i++) {
                ChatMessage turn = messages.get(i);
                text.ascii(i == 0 ? "{\"role\":" : ",{\"role\":").quoted(turn.role()).ascii(",\"content\":")
                        .quote().bytes(body(turn.content())).quote().ascii("}");
            }
            text.ascii("]");
        }
        this.prompt = text.toBytes();
        Buffer end = new Buffer(96);
        end.ascii(",\"source\":{\"topic\":").quoted(source.topic()).ascii(",\"partition\":")
                .ascii(Integer.toString(source.partition())).ascii(",\"offset\":")
                .ascii(Long.toString(source.offset())).ascii("},\"time\":").quoted(time).ascii("}");
        this.tail = end.toBytes();
    }

    /** Example {@code index} (its id is {@code eventId#index}) teaching {@code completion}. */
    byte[] single(int index, ExampleKind kind, String completion) {
        byte[] text = body(completion);
        Buffer out = start(index, kind, COMPLETION.length + text.length + 2);
        out.bytes(COMPLETION).quote().bytes(text).quote();
        return out.bytes(tail).toBytes();
    }

    /** Example {@code index}, a preference of {@code chosen} over {@code rejected}. */
    byte[] pair(int index, String chosen, String rejected) {
        byte[] first = body(chosen);
        byte[] second = body(rejected);
        Buffer out = start(index, ExampleKind.PREFERENCE,
                CHOSEN.length + first.length + REJECTED.length + second.length + 4);
        out.bytes(CHOSEN).quote().bytes(first).quote().bytes(REJECTED).quote().bytes(second).quote();
        return out.bytes(tail).toBytes();
    }

    /** A buffer of exactly the example's size, filled up to its text ({@code textBytes} long). */
    private Buffer start(int index, ExampleKind kind, int textBytes) {
        int suffix = index >= 0 && index <= 9 ? 3 : Integer.toString(index).length() + 2; // #index"
        Buffer out = new Buffer(SCHEMA_AND_ID.length + eventId.length + suffix + afterExampleId.length
                + KINDS[kind.ordinal()].length + origin.length + prompt.length + textBytes + tail.length);
        out.bytes(SCHEMA_AND_ID).bytes(eventId).digit('#', index).bytes(afterExampleId).bytes(KINDS[kind.ordinal()])
                .bytes(origin).bytes(prompt);
        return out;
    }

    /**
     * {@code text} as the inside of a JSON string: copied from the event's bytes when it is verbatim there,
     * from its chars when it is known to be plain ASCII, else encoded by the JDK without a copy when that
     * turns out plain, else escaped.
     */
    private byte[] body(String text) {
        int slot = verbatim.find(text);
        if (slot >= 0) {
            return Arrays.copyOfRange(verbatim.source(), verbatim.start(slot), verbatim.end(slot));
        }
        if (plain.contains(text)) {
            return text.getBytes(StandardCharsets.ISO_8859_1);
        }
        int n = text.length();
        if (n >= 16) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            if (utf8.length == n && Buffer.isPlain(utf8)) {
                return utf8;
            }
        }
        return quotedBody(text); // rare with verbatim texts: a redacted text, or one Jackson writes differently
    }

    private static byte[] quotedBody(String text) {
        Buffer out = new Buffer(text.length() + 8);
        out.escaped(text);
        return out.toBytes();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Texts of one event known to be plain ASCII (no char a JSON string escapes), found by identity: the
     * redacted copies of verbatim texts that were plain in the event's bytes ({@link ExampleExpander}), which
     * then need no scan before they are copied.
     */
    static final class PlainTexts {
        /** For callers that know of no plain text. */
        static final PlainTexts NONE = new PlainTexts();

        private String[] texts = new String[4];
        private int size;

        void add(String text) {
            if (size == texts.length) {
                texts = Arrays.copyOf(texts, size * 2);
            }
            texts[size++] = text;
        }

        boolean contains(String text) {
            for (int i = 0; i < size; i++) {
                if (texts[i] == text) {
                    return true;
                }
            }
            return false;
        }
    }

    /** A growable byte array. */
    static final class Buffer {
        private byte[] bytes;
        private int length;

        Buffer(int capacity) {
            bytes = new byte[Math.max(16, capacity)];
        }

        /** {@code prefix}, the decimal {@code value} (non-negative) and a closing quote. */
        Buffer digit(char prefix, int value) {
            if (value < 0 || value > 9) {
                return ascii(prefix + Integer.toString(value) + "\"");
            }
            ensure(3);
            bytes[length++] = (byte) prefix;
            bytes[length++] = (byte) ('0' + value);
            bytes[length++] = '"';
            return this;
        }

        Buffer ascii(String text) {
            int n = text.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                bytes[length++] = (byte) text.charAt(i);
            }
            return this;
        }

        Buffer bytes(byte[] more) {
            ensure(more.length);
            System.arraycopy(more, 0, bytes, length, more.length);
            length += more.length;
            return this;
        }

        Buffer quote() {
            ensure(1);
            bytes[length++] = '"';
            return this;
        }

        Buffer quoted(String text) {
            ensure(1);
            bytes[length++] = '"';
            escaped(text);
            ensure(1);
            bytes[length++] = '"';
            return this;
        }

        /** {@code text} as the inside of a JSON string, UTF-8, escaped as Jackson does. */
        Buffer escaped(String text) {
            int n = text.length();
            if (n >= 16) {
                // Usually plain ASCII: encoded by the JDK's intrinsic and copied. One byte per char
                // means every char is ASCII or a lone surrogate (encoded '?'), so '?' takes the next path.
                byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
                if (utf8.length == n && isPlain(utf8)) {
                    return bytes(utf8);
                }
                // Real text: newlines, quotes, typographic punctuation. Escaped from its UTF-8 bytes.
                if (escapedUtf8(utf8, text)) {
                    return this;
                }
            }
            ensure(n + 16);
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c < 0x80) {
                    if (c >= 0x20 && c != '"' && c != '\\') {
                        if (length == bytes.length) {
                            ensure(n - i + 16);
                        }
                        bytes[length++] = (byte) c;
                        continue;
                    }
                    ensure(6 + n - i);
                    asciiEscape(c);
                } else {
                    ensure(6 + 3 * (n - i));
                    if (c < 0x800) {
                        bytes[length++] = (byte) (0xC0 | (c >> 6));
                        bytes[length++] = (byte) (0x80 | (c & 0x3F));
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(c); // Jackson writes each UTF-16 surrogate (paired or not) as an escape
                    } else {
                        bytes[length++] = (byte) (0xE0 | (c >> 12));
                        bytes[length++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                        bytes[length++] = (byte) (0x80 | (c & 0x3F));
                    }
                }
            }
            return this;
        }

        /**
         * Appends {@code utf8}, the JDK's UTF-8 encoding of {@code text}, escaped as {@link #escaped} would
         * escape {@code text}: runs of bytes that need nothing are copied whole, a control character,
         * quote or backslash gets its escape, a four-byte sequence (a surrogate pair) becomes two
         * {@code \\uXXXX} escapes. The encoder writes a lone surrogate as '?', which Jackson would
         * escape; so when {@code utf8} holds more '?' than {@code text}, this returns false and the
         * caller drops what was appended and escapes char by char.
         */
        boolean escapedUtf8(byte[] utf8, String text) {
            int start = length;
            int questionMarks = 0;
            int n = utf8.length;
            ensure(n + 16);
            int i = 0;
            while (i < n) {
                int special = nextSpecial(utf8, i);
                int run = special - i;
                if (run > 0) {
                    ensure(run + 12);
                    System.arraycopy(utf8, i, bytes, length, run);
                    length += run;
                }
                if (special == n) {
                    break;
                }
                ensure(12);
                int b = utf8[special] & 0xFF;
                if (b == '?') {
                    questionMarks++;
                    bytes[length++] = '?';
                    i = special + 1;
                } else if (b >= 0xF0) {
                    int codePoint = (b & 0x07) << 18 | (utf8[special + 1] & 0x3F) << 12
                            | (utf8[special + 2] & 0x3F) << 6 | (utf8[special + 3] & 0x3F);
                    unicodeEscape(Character.highSurrogate(codePoint));
                    unicodeEscape(Character.lowSurrogate(codePoint));
                    i = special + 4;
                } else {
                    asciiEscape(b);
                    i = special + 1;
                }
            }
            if (questionMarks > 0 && questionMarks != count(text, '?')) {
                length = start;
                return false;
            }
            return true;
        }

        /** The escape of a quote, a backslash or a control character (room for six bytes ensured). */
        private void asciiEscape(int c) {
            bytes[length++] = '\\';
            switch (c) {
                case '"' -> bytes[length++] = '"';
                case '\\' -> bytes[length++] = '\\';
                case '\b' -> bytes[length++] = 'b';
                case '\t' -> bytes[length++] = 't';
                case '\n' -> bytes[length++] = 'n';
                case '\f' -> bytes[length++] = 'f';
                case '\r' -> bytes[length++] = 'r';
                default -> {
                    bytes[length++] = 'u';
                    bytes[length++] = '0';
                    bytes[length++] = '0';
                    bytes[length++] = HEX[c >> 4];
                    bytes[length++] = HEX[c & 0xF];
                }
            }
        }

        private void unicodeEscape(char c) {
            bytes[length++] = '\\';
            bytes[length++] = 'u';
            bytes[length++] = HEX[c >> 12];
            bytes[length++] = HEX[(c >> 8) & 0xF];
            bytes[length++] = HEX[(c >> 4) & 0xF];
            bytes[length++] = HEX[c & 0xF];
        }

        private static int count(String text, char c) {
            int count = 0;
            for (int i = text.indexOf(c); i >= 0; i = text.indexOf(c, i + 1)) {
                count++;
            }
            return count;
        }

        /**
         * The index of the first byte at or after {@code from} that {@link #escapedUtf8} cannot copy as it
         * is (below 0x20, quote, backslash, '?', a four-byte lead from 0xF0), or the array's length.
         */
        static int nextSpecial(byte[] utf8, int from) {
            int i = from;
            for (int end = utf8.length - 7; i < end; i += 8) {
                long x = (long) LONGS.get(utf8, i);
                // the lowest flagged byte is exactly the first special one (flags above it may be spurious)
                long special = zeroBytes(x & 0xE0E0E0E0E0E0E0E0L) | zeroBytes(x ^ 0x2222222222222222L)
                        | zeroBytes(x ^ 0x5C5C5C5C5C5C5C5CL) | zeroBytes(x ^ 0x3F3F3F3F3F3F3F3FL)
                        | zeroBytes((x & 0xF0F0F0F0F0F0F0F0L) ^ 0xF0F0F0F0F0F0F0F0L);
                special &= 0x8080808080808080L;
                if (special != 0) {
                    return i + (Long.numberOfTrailingZeros(special) >>> 3);
                }
            }
            for (; i < utf8.length; i++) {
                int b = utf8[i] & 0xFF;
                if (b < 0x20 || b == '"' || b == '\\' || b == '?' || b >= 0xF0) {
                    return i;
                }
            }
            return utf8.length;
        }

        /** No byte needs an escape (control characters, quote, backslash) and none is '?' or non-ASCII. */
        static boolean isPlain(byte[] utf8) {
            int i = 0;
            for (int end = utf8.length - 7; i < end; i += 8) {
                long x = (long) LONGS.get(utf8, i);
                // a byte >= 0x80, or < 0x20, or equal to '"', '\\' or '?' sets its high bit here
                long special = x | (x - 0x2020202020202020L) | zeroBytes(x ^ 0x2222222222222222L)
                        | zeroBytes(x ^ 0x5C5C5C5C5C5C5C5CL) | zeroBytes(x ^ 0x3F3F3F3F3F3F3F3FL);
                if ((special & 0x8080808080808080L) != 0) {
                    return false;
                }
            }
            for (; i < utf8.length; i++) {
                byte b = utf8[i];
                if (b < 0x20 || b == '"' || b == '\\' || b == '?') {
                    return false;
                }
            }
            return true;
        }

        /** High bit set in (at least) each zero byte of {@code x} whose bytes are all below 0x80 (others: any). */
        private static long zeroBytes(long x) {
            return (x - 0x0101010101010101L) & ~x;
        }

        private void ensure(int more) {
            if (length + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        byte[] toBytes() {
            return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
        }
    }
}
