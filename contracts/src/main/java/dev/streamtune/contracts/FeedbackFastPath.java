package dev.streamtune.contracts;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
  * {@link FeedbackValidator}'s fast path for the common case, a valid event: one pass of
  * {@link JsonScanner} over the bytes (no tree, no intermediate {@code String} of the whole record,
  * each string built straight from its bytes) and hand-written checks of the ids, adapter and
  * timestamp instead of regular expressions.
  *
  * <p>It only ever vouches: {@link #tryParse} returns the event when the bytes certainly satisfy
  * every rule, and {@code null} whenever anything is unusual (an unknown or duplicate field, a null,
  * a wrong type, a rule broken, a timestamp it cannot settle cheaply). On {@code null} the
  * validator runs its full check, which reports every violation; so what the validator reports is
  * unchanged, and the fast path only has to be sound: it never accepts what the full check refuses,
  * and builds the same event from what it accepts.
  */
final class FeedbackFastPath {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private static final int SCHEMA = 1;
    private static final int ID = 1 << 1;
    private static final int TIME = 1 << 2;
    private static final int ADAPTER = 1 << 3;
    private static final int USER = 1 << 4;
    private static final int KIND = 1 << 5;
    private static final int PROMPT = 1 << 6;
    private static final int MESSAGES = 1 << 7;
    private static final int COMPLETION = 1 << 8;
    private static final int RESPONSE = 1 << 9;
    private static final int CORRECTED = 1 << 10;
    private static final int RATING = 1 << 11;
    private static final int CHOSEN = 1 << 12;
    private static final int REJECTED = 1 << 13;
    private static final int SERVED_BY = 1 << 14;
    private static final int METADATA = 1 << 15;
    private static final int REQUIRED = SCHEMA | ID | TIME | ADAPTER | USER | KIND;
    private static final int KIND_SPECIFIC = COMPLETION | RESPONSE | CORRECTED | RATING | CHOSEN | REJECTED;
    private static final FeedbackKind[] KINDS = FeedbackKind.values();
    /** Per kind (by ordinal), the bits of its kind-specific fields. */
    private static final int[] REQUIRED_BY_KIND = Arrays.stream(KINDS).mapToInt(FeedbackFastPath::requiredFields)
            .toArray();

    private static final byte[] NAME_SCHEMA = ascii("schema");
    private static final byte[] NAME_ID = ascii("id");
    private static final byte[] NAME_TIME = ascii("time");
    private static final byte[] NAME_ADAPTER = ascii("adapter");
    private static final byte[] NAME_USER = ascii("user");
    private static final byte[] NAME_KIND = ascii("kind");
    private static final byte[] NAME_PROMPT = ascii("prompt");
    private static final byte[] NAME_MESSAGES = ascii("messages");
    private static final byte[] NAME_COMPLETION = ascii("completion");
    private static final byte[] NAME_RESPONSE = ascii("response");
    private static final byte[] NAME_CORRECTED = ascii("corrected");
    private static final byte[] NAME_RATING = ascii("rating");
    private static final byte[] NAME_CHOSEN = ascii("chosen");
    private static final byte[] NAME_REJECTED = ascii("rejected");
    private static final byte[] NAME_SERVED_BY = ascii("servedBy");
    private static final byte[] NAME_METADATA = ascii("metadata");
    private static final byte[] NAME_ROLE = ascii("role");
    private static final byte[] NAME_CONTENT = ascii("content");

    private FeedbackFastPath() {}

    private static byte[] ascii(String name) {
        return name.getBytes(StandardCharsets.US_ASCII);
    }

    /** The event when {@code bytes} are certainly a valid event under {@code limits}, else null. */
    static FeedbackEvent tryParse(byte[] bytes, ValidationLimits limits) {
        return tryParse(bytes, limits, new VerbatimTexts(bytes));
    }

    /**
     * {@link #tryParse(byte[], ValidationLimits)}, noting in {@code verbatim} each trained text whose bytes
     * are written as Jackson writes them (what it notes means nothing when the answer is null).
     */
    static FeedbackEvent tryParse(byte[] bytes, ValidationLimits limits, VerbatimTexts verbatim) {
        if (bytes == null || bytes.length == 0 || bytes.length > limits.maxEventBytes() || bytes[0] != '{'
                || !isUtf8(bytes)) {
            return null;
        }
        try {
            return parse(new JsonScanner(bytes), limits, verbatim);
        } catch (RuntimeException e) {
            return null; // outside the scanner's subset, or broken: the full check decides and reports
        }
    }

    private static FeedbackEvent parse(JsonScanner p, ValidationLimits limits, VerbatimTexts verbatim) {
        if (p.next() != JsonScanner.Token.START_OBJECT) {
            return null;
        }
        String schema = null;
        String id = null;
        String time = null;
        String adapter = null;
        String user = null;
        String kindName = null;
        String prompt = null;
        List<ChatMessage> messages = null;
        String completion = null;
        String response = null;
        String corrected = null;
        Integer rating = null;
        String chosen = null;
        String rejected = null;
        String servedBy = null;
        Map<String, String> metadata = null;
        int seen = 0;
        JsonScanner.Token token;
        while ((token = p.next()) == JsonScanner.Token.FIELD_NAME) {
            int field = field(p);
            JsonScanner.Token value = p.next();
            switch (field) {
                case SCHEMA -> schema = string(p, value);
                case ID -> id = string(p, value);
                case TIME -> time = string(p, value);
                case ADAPTER -> adapter = string(p, value);
                case USER -> user = string(p, value);
                case KIND -> kindName = string(p, value);
                case PROMPT -> prompt = text(p, value, limits, verbatim);
                case COMPLETION -> completion = text(p, value, limits, verbatim);
                case RESPONSE -> response = text(p, value, limits, verbatim);
                case CORRECTED -> corrected = text(p, value, limits, verbatim);
                case CHOSEN -> chosen = text(p, value, limits, verbatim);
                case REJECTED -> rejected = text(p, value, limits, verbatim);
                case SERVED_BY -> servedBy = servedBy(p, value);
                case RATING -> rating = rating(p, value);
                case MESSAGES -> messages = messages(p, value, limits, verbatim);
                case METADATA -> metadata = metadata(p, value, limits);
                default -> {
                    return null;
                }
            }
            if ((seen & field) != 0) {
                return null;
            }
            seen |= field;
        }
        if (token != JsonScanner.Token.END_OBJECT || p.next() != null) {
            return null;
        }
        if ((seen & REQUIRED) != REQUIRED || ((seen & PROMPT) != 0) == ((seen & MESSAGES) != 0)) {
            return null;
        }
        // every field seen was read into a non-null value, or the check returned null already
        if (schema == null || id == null || time == null || adapter == null || user == null || kindName == null
                || (prompt == null && messages == null)) {
            return null;
        }
        FeedbackKind kind = kind(kindName);
        if (kind == null || (seen & KIND_SPECIFIC) != REQUIRED_BY_KIND[kind.ordinal()]) {
            return null;
        }
        if (((seen & COMPLETION) != 0 && completion == null) || ((seen & RESPONSE) != 0 && response == null)
                || ((seen & CORRECTED) != 0 && corrected == null) || ((seen & RATING) != 0 && rating == null)
                || ((seen & CHOSEN) != 0 && chosen == null) || ((seen & REJECTED) != 0 && rejected == null)
                || ((seen & SERVED_BY) != 0 && servedBy == null) || ((seen & METADATA) != 0 && metadata == null)) {
            return null;
        }
        if (!schema.equals(FeedbackEvent.SCHEMA_V1) || !isOpaqueId(id) || !isOpaqueId(user)
                || !isAdapterId(adapter) || !isTimestamp(time)) {
            return null;
        }
        return new FeedbackEvent(schema, id, time, adapter, user, kind, prompt, messages, completion, response,
                corrected, rating, chosen, rejected, servedBy, metadata);
    }

    /**
     * The bit of the field the scanner's current name names (written without escapes), or 0 for any other
     * name: matched on its bytes, by length first, without building a {@code String}.
     */
    private static int field(JsonScanner p) {
        return switch (p.nameLength()) {
            case 2 -> p.nameIs(NAME_ID) ? ID : 0;
            case 4 -> p.nameIs(NAME_TIME) ? TIME : p.nameIs(NAME_USER) ? USER : p.nameIs(NAME_KIND) ? KIND : 0;
            case 6 -> p.nameIs(NAME_SCHEMA) ? SCHEMA : p.nameIs(NAME_PROMPT) ? PROMPT
                    : p.nameIs(NAME_CHOSEN) ? CHOSEN : p.nameIs(NAME_RATING) ? RATING : 0;
            case 7 -> p.nameIs(NAME_ADAPTER) ? ADAPTER : 0;
            case 8 -> p.nameIs(NAME_MESSAGES) ? MESSAGES : p.nameIs(NAME_RESPONSE) ? RESPONSE
                    : p.nameIs(NAME_REJECTED) ? REJECTED : p.nameIs(NAME_SERVED_BY) ? SERVED_BY
                    : p.nameIs(NAME_METADATA) ? METADATA : 0;
            case 9 -> p.nameIs(NAME_CORRECTED) ? CORRECTED : 0;
            case 10 -> p.nameIs(NAME_COMPLETION) ? COMPLETION : 0;
            default -> 0;
        };
    }

    private static String string(JsonScanner p, JsonScanner.Token value) {
        return value == JsonScanner.Token.VALUE_STRING ? p.text() : null;
    }

    /** A trained text: a string with a non-whitespace character, within the field limit. */
    private static String text(JsonScanner p, JsonScanner.Token value, ValidationLimits limits,
            VerbatimTexts verbatim) {
        if (value != JsonScanner.Token.VALUE_STRING) {
            return null;
        }
        String text = p.text();
        if (!hasNonWhitespace(text) || !fits(text, limits)) {
            return null;
        }
        if (p.verbatim()) {
            verbatim.add(text, p.rawStart(), p.rawEnd());
        }
        return text;
    }

    private static String servedBy(JsonScanner p, JsonScanner.Token value) {
        if (value != JsonScanner.Token.VALUE_STRING) {
            return null;
        }
        String text = p.text();
        // 1..256 chars without whitespace: at most 256 code points, as the pattern counts them
        if (text.isEmpty() || text.length() > 256) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            if (isWhitespace(text.charAt(i))) {
                return null;
            }
        }
        return text;
    }

    private static Integer rating(JsonScanner p, JsonScanner.Token value) {
        if (value != JsonScanner.Token.VALUE_INT) {
            return null;
        }
        int rating = p.intValue();
        return rating == 1 || rating == -1 ? rating : null;
    }

    private static List<ChatMessage> messages(JsonScanner p, JsonScanner.Token value, ValidationLimits limits,
            VerbatimTexts verbatim) {
        if (value != JsonScanner.Token.START_ARRAY) {
            return null;
        }
        List<ChatMessage> turns = new ArrayList<>(4);
        JsonScanner.Token token;
        while ((token = p.next()) == JsonScanner.Token.START_OBJECT) {
            String role = null;
            String content = null;
            int fields = 0;
            JsonScanner.Token inner;
            while ((inner = p.next()) == JsonScanner.Token.FIELD_NAME) {
                boolean isRole = p.nameIs(NAME_ROLE);
                boolean isContent = !isRole && p.nameIs(NAME_CONTENT);
                JsonScanner.Token v = p.next();
                if (isRole && role == null) {
                    role = string(p, v);
                    if (role == null || !ChatMessage.ROLES.contains(role)) {
                        return null;
                    }
                } else if (isContent && content == null) {
                    content = text(p, v, limits, verbatim);
                    if (content == null) {
                        return null;
                    }
                } else {
                    return null;
                }
                fields++;
            }
            if (inner != JsonScanner.Token.END_OBJECT || fields != 2 || role == null || content == null) {
                return null;
            }
            turns.add(new ChatMessage(role, content));
            if (turns.size() > limits.maxMessages()) {
                return null;
            }
        }
        if (token != JsonScanner.Token.END_ARRAY || turns.isEmpty()) {
            return null;
        }
        return turns;
    }

    private static Map<String, String> metadata(JsonScanner p, JsonScanner.Token value, ValidationLimits limits)
            {
        if (value != JsonScanner.Token.START_OBJECT) {
            return null;
        }
        List<Map.Entry<String, String>> entries = new ArrayList<>(4);
        JsonScanner.Token token;
        while ((token = p.next()) == JsonScanner.Token.FIELD_NAME) {
            String key = p.currentName();
            if (p.next() != JsonScanner.Token.VALUE_STRING) {
                return null;
            }
            String text = p.text();
            if (!fits(text, limits)) {
                return null;
            }
            entries.add(Map.entry(key, text));
        }
        if (token != JsonScanner.Token.END_OBJECT) {
            return null;
        }
        // built immutable here, so that FeedbackEvent's Map.copyOf keeps it instead of hashing it again;
        // a repeated key throws, and the full check decides
        @SuppressWarnings({"unchecked", "rawtypes"}) // Map.ofEntries takes an array; generic arrays are raw
        Map.Entry<String, String>[] array = entries.toArray(new Map.Entry[0]);
        return Map.ofEntries(array);
    }

    private static FeedbackKind kind(String name) {
        for (FeedbackKind kind : KINDS) { // four names compared (length first) instead of hashing a new string
            if (kind.wireName().equals(name)) {
                return kind;
            }
        }
        return null;
    }

    private static int requiredFields(FeedbackKind kind) {
        int bits = 0;
        for (String field : kind.requiredFields()) {
            bits |= switch (field) {
                case "completion" -> COMPLETION;
                case "response" -> RESPONSE;
                case "corrected" -> CORRECTED;
                case "rating" -> RATING;
                case "chosen" -> CHOSEN;
                case "rejected" -> REJECTED;
                default -> throw new IllegalStateException("unknown kind-specific field " + field);
            };
        }
        return bits;
    }

    /** Whether the text's UTF-8 form fits the field limit (three bytes per char at most). */
    private static boolean fits(String text, ValidationLimits limits) {
        return (long) text.length() * 3 <= limits.maxFieldBytes()
                || text.getBytes(StandardCharsets.UTF_8).length <= limits.maxFieldBytes();
    }

    /** What {@code \S} finds: a char outside Java's {@code \s} ({@code [ \t\n\x0B\f\r]}). */
    private static boolean hasNonWhitespace(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!isWhitespace(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    /** {@link FeedbackValidator#OPAQUE_ID} without a regex. */
    static boolean isOpaqueId(String id) {
        int n = id.length();
        if (n < 1 || n > 128 || !isAlnum(id.charAt(0))) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = id.charAt(i);
            if (!isAlnum(c) && c != '.' && c != '_' && c != ':' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** {@link FeedbackValidator#ADAPTER_ID} without a regex. */
    static boolean isAdapterId(String adapter) {
        int slash = adapter.indexOf('/');
        return slash < 0 ? isAdapterSegment(adapter, 0, adapter.length())
                : isAdapterSegment(adapter, 0, slash) && isAdapterSegment(adapter, slash + 1, adapter.length());
    }

    private static boolean isAdapterSegment(String s, int from, int to) {
        int n = to - from;
        if (n < 1 || n > 63 || !isLowerAlnum(s.charAt(from))) {
            return false;
        }
        for (int i = from + 1; i < to; i++) {
            char c = s.charAt(i);
            if (!isLowerAlnum(c) && c != '.' && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean isLowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /**
      * The common timestamps settled by hand ({@code 2026-11-27T09:00:00Z}, fractions, offsets up to
      * ±17:59, days up to the month's length in the proleptic ISO calendar, as
      * {@code ISO_OFFSET_DATE_TIME}'s strict resolver checks them); anything else by
      * {@link FeedbackValidator#isTimestamp}.
      */
    static boolean isTimestamp(String t) {
        int n = t.length();
        if (n < 20 || !digits(t, 0, 4) || t.charAt(4) != '-' || !digits(t, 5, 7) || t.charAt(7) != '-'
                || !digits(t, 8, 10) || t.charAt(10) != 'T' || !digits(t, 11, 13) || t.charAt(13) != ':'
                || !digits(t, 14, 16) || t.charAt(16) != ':' || !digits(t, 17, 19)) {
            return FeedbackValidator.isTimestamp(t);
        }
        int i = 19;
        if (t.charAt(i) == '.') {
            int start = ++i;
            while (i < n && isDigit(t.charAt(i))) {
                i++;
            }
            if (i - start < 1 || i - start > 9) {
                return FeedbackValidator.isTimestamp(t);
            }
        }
        boolean offsetOk;
        if (i == n - 1 && t.charAt(i) == 'Z') {
            offsetOk = true;
        } else if (i == n - 6 && (t.charAt(i) == '+' || t.charAt(i) == '-') && digits(t, i + 1, i + 3)
                && t.charAt(i + 3) == ':' && digits(t, i + 4, i + 6)) {
            offsetOk = number(t, i + 1, i + 3) <= 17 && number(t, i + 4, i + 6) <= 59;
        } else {
            offsetOk = false;
        }
        int month = number(t, 5, 7);
        int day = number(t, 8, 10);
        if (!offsetOk || month < 1 || month > 12 || day < 1 || day > lengthOfMonth(number(t, 0, 4), month)
                || number(t, 11, 13) > 23
                || number(t, 14, 16) > 59 || number(t, 17, 19) > 59) {
            return FeedbackValidator.isTimestamp(t);
        }
        return true;
    }

    /** Days in {@code month} (1–12) of the ISO {@code year} (0–9999: leap every 4, not 100, but 400). */
    static int lengthOfMonth(int year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int number(String s, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            value = value * 10 + (s.charAt(i) - '0');
        }
        return value;
    }

    /**
     * Whether {@code bytes} are well-formed UTF-8 (RFC 3629: shortest form, no surrogates, nothing above
     * U+10FFFF), exactly what the JDK's decoder accepts when it reports malformed input; without decoding.
     */
    static boolean isUtf8(byte[] bytes) {
        int i = 0;
        int n = bytes.length;
        while (true) {
            for (int end = n - 31; i < end; i += 32) { // ASCII, thirty-two bytes at a time
                long any = (long) LONGS.get(bytes, i) | (long) LONGS.get(bytes, i + 8)
                        | (long) LONGS.get(bytes, i + 16) | (long) LONGS.get(bytes, i + 24);
                if ((any & 0x8080808080808080L) != 0) {
                    break;
                }
            }
            for (int end = n - 7; i < end; i += 8) {
                if (((long) LONGS.get(bytes, i) & 0x8080808080808080L) != 0) {
                    break;
                }
            }
            while (i < n && bytes[i] >= 0) {
                i++;
            }
            if (i == n) {
                return true;
            }
            int lead = bytes[i] & 0xFF;
            if (lead < 0xC2) {
                return false; // a continuation byte, or the lead of an overlong two-byte form
            } else if (lead < 0xE0) {
                if (i + 1 >= n || !isContinuation(bytes[i + 1])) {
                    return false;
                }
                i += 2;
            } else if (lead < 0xF0) {
                // E0: A0..BF second (no overlong form); ED: 80..9F (no surrogates D800..DFFF)
                int low = lead == 0xE0 ? 0xA0 : 0x80;
                int high = lead == 0xED ? 0x9F : 0xBF;
                if (i + 2 >= n || !inRange(bytes[i + 1], low, high) || !isContinuation(bytes[i + 2])) {
                    return false;
                }
                i += 3;
            } else if (lead < 0xF5) {
                // F0: 90..BF second (no overlong form); F4: 80..8F (nothing above U+10FFFF)
                int low = lead == 0xF0 ? 0x90 : 0x80;
                int high = lead == 0xF4 ? 0x8F : 0xBF;
                if (i + 3 >= n || !inRange(bytes[i + 1], low, high) || !isContinuation(bytes[i + 2])
                        || !isContinuation(bytes[i + 3])) {
                    return false;
                }
                i += 4;
            } else {
                return false; // F5..FF never appear in UTF-8
            }
        }
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static boolean inRange(byte b, int low, int high) {
        int v = b & 0xFF;
        return v >= low && v <= high;
    }
}
