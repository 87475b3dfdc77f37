package dev.streamtune.ingest;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces e-mail addresses with {@value #EMAIL} and phone numbers with {@value #PHONE} in free
 * text. Conservative on phones: a digit run counts only when it is written like a phone number
 * (international {@code +} prefix, a parenthesised area code, the North American 3-3-4 shape, or a
 * national number with a trunk {@code 0}, at least ten digits and a separator), so dates, times,
 * version numbers, IP addresses, amounts and ids are left alone. Thread-safe.
 */
public final class Redactor {
    /** What an e-mail address becomes. */
    public static final String EMAIL = "[email]";
    /** What a phone number becomes. */
    public static final String PHONE = "[phone]";

    /**
     * Local part, {@code @}, dot-separated domain labels, a TLD of letters. Tried only where a run of
     * local-part characters starts before an {@code @} (found by a plain scan, which is what keeps
     * redaction cheap: a regex search with look-behind tried at every position cost more than
     * validating the event).
     */
    private static final Pattern EMAIL_ADDRESS = Pattern.compile(
            "[\\w.%+-]{1,64}+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,8}"
                    + "[A-Za-z]{2,24}(?![\\w-])");

    /**
     * A candidate phone number: optional {@code +country}, optional {@code (area)}, then up to six
     * digit groups separated by one space, dot or hyphen; not followed by a word character nor part
     * of a longer dotted or slashed number. Tried only where a candidate can start (a digit, {@code +}
     * or {@code (} not preceded by a word character, {@code + . - /}); candidates are then checked by
     * {@link #looksLikePhone}.
     */
    private static final Pattern PHONE_CANDIDATE = Pattern.compile(
            "(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d{1,14}(?:[ .-]\\d{1,14}){0,5}"
                    + "(?![\\w\\-/]|[.,]\\d)");

    /** The fewest digits a phone number has (see {@link #looksLikePhone}). */
    private static final int MIN_PHONE_DIGITS = 8;
    /** The fewest digits of a phone without {@code +} or {@code (}: 3-3-4, or a trunk 0 and ten. */
    private static final int MIN_UNPREFIXED_PHONE_DIGITS = 10;

    private static final Pattern NORTH_AMERICAN = Pattern.compile("\\d{3}[-. ]\\d{3}[-. ]\\d{4}");

    private Redactor() {}

    /** The text with e-mail addresses and phone numbers replaced; {@code null} stays {@code null}. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        if (result.indexOf('@') >= 0) {
            result = redactEmails(result);
        }
        Digits digits = Digits.of(result);
        if (digits.hasRun()) {
            result = redactPhones(result, digits);
        }
        return result;
    }

    /**
     * Whether {@link #redact} could change a text, judged from bytes that hold it (its UTF-8 encoding, or
     * that as a JSON string with Jackson's escapes) in {@code [from, to)}: true when they hold a {@code @}
     * or two adjacent ASCII digits, one of which every e-mail address and phone number has (an escape
     * adds neither to the text; its hex digits may make this say true for nothing). Eight bytes at a time.
     */
    static boolean mightRedact(byte[] bytes, int from, int to) {
        long previous = 0; // bit 7: the previous word's last byte is a digit
        int i = from;
        for (int end = to - 7; i < end; i += 8) {
            long x = (long) Digits.LONGS.get(bytes, i);
            long ascii = ~x & 0x8080808080808080L;
            long low = x & 0x7F7F7F7F7F7F7F7FL; // 7-bit sums below cannot carry into the next byte
            long at = ~((low ^ 0x4040404040404040L) + 0x7F7F7F7F7F7F7F7FL) & ascii;
            long digits = (low + 0x5050505050505050L) & ~(low + 0x4646464646464646L) & ascii; // 0x30..0x39
            if ((at | (digits & ((digits << 8) | previous))) != 0) {
                return true;
            }
            previous = (digits >>> 56) & 0x80;
        }
        boolean digitBefore = previous != 0;
        for (; i < to; i++) {
            byte b = bytes[i];
            boolean digit = b >= '0' && b <= '9';
            if (b == '@' || (digitBefore && digit)) {
                return true;
            }
            digitBefore = digit;
        }
        return false;
    }

    /**
     * Finds ASCII digits in a text quickly: in its Latin-1 bytes eight at a time when it has one byte
     * per char (every char Latin-1 or a lone surrogate, each encoded as one byte, so positions agree),
     * else char by char. Stepping through every char looking for a phone's first digit was most of
     * redaction's cost.
     */
    private static final class Digits {
        static final VarHandle LONGS =
                MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

        private final String text;
        private final byte[] latin1; // null: look at the chars

        private Digits(String text, byte[] latin1) {
            this.text = text;
            this.latin1 = latin1;
        }

        static Digits of(String text) {
            if (text.length() >= 16) {
                byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
                if (bytes.length == text.length()) { // shorter when a surrogate pair became one '?'
                    return new Digits(text, bytes);
                }
            }
            return new Digits(text, null);
        }

        /** The index of the first ASCII digit at or after {@code from}, or the text's length. */
        int next(int from) {
            int length = text.length();
            int i = from;
            if (latin1 != null) {
                for (int end = length - 7; i < end; i += 8) {
                    long x = ((long) LONGS.get(latin1, i)) ^ 0x3030303030303030L; // digits become 0..9
                    // the lowest flagged byte is the first below 10 (bytes >= 0x80 never flag)
                    long below10 = (x - 0x0A0A0A0A0A0A0A0AL) & ~x & 0x8080808080808080L;
                    if (below10 != 0) {
                        return i + (Long.numberOfTrailingZeros(below10) >>> 3);
                    }
                }
            }
            for (; i < length; i++) {
                if (isDigit(text.charAt(i))) {
                    return i;
                }
            }
            return length;
        }

        /** Whether two ASCII digits stand next to each other somewhere. */
        boolean hasRun() {
            int length = text.length();
            for (int d = next(0); d < length - 1; d = next(d + 1)) {
                if (isDigit(text.charAt(d + 1))) {
                    return true;
                }
            }
            return false;
        }
    }

    private static String redactEmails(String text) {
        StringBuilder out = null;
        int copiedUpTo = 0;
        for (int at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
            int start = at;
            while (start > copiedUpTo && isLocalPart(text.charAt(start - 1))) {
                start--;
            }
            if (start == at || (start > 0 && isLocalPart(text.charAt(start - 1)))) {
                continue; // nothing before the @, or the run began inside an earlier replacement
            }
            int end = emailEnd(text, start, at);
            if (end < 0) {
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text.length());
            }
            out.append(text, copiedUpTo, start).append(EMAIL);
            copiedUpTo = end;
            at = copiedUpTo - 1;
        }
        return out == null ? text : out.append(text, copiedUpTo, text.length()).toString();
    }

    private static String redactPhones(String text, Digits digitsAhead) {
        Matcher matcher = null;
        StringBuilder out = null;
        int copiedUpTo = 0;
        int i = 0;
        int length = text.length();
        while (i < length) {
            char c = text.charAt(i);
            if (!isRunChar(c)) {
                // A candidate lies in a run of digits, "+ ( ) . -" and spaces, and runs with too few
                // digits are skipped below: jump to the start of the run holding the next digit. What
                // lies between is no run, or runs without a digit, where this loop would only step on.
                int nextDigit = digitsAhead.next(i);
                if (nextDigit == length) {
                    break;
                }
                int runStart = nextDigit;
                while (runStart > i && isRunChar(text.charAt(runStart - 1))) {
                    runStart--;
                }
                i = runStart;
                c = text.charAt(i);
            }
            boolean canStart = (c >= '0' && c <= '9') || c == '+' || c == '(';
            if (!canStart || (i > 0 && precedesNoPhone(text.charAt(i - 1)))) {
                i++;
                continue;
            }
            // A candidate consists only of digits, "+ ( ) . -" and spaces, so it lies within the run
            // of such characters from here. looksLikePhone wants 8 digits, and without a '+' or '('
            // either the North American 3-3-4 shape or a trunk 0, both with at least 10; so when the
            // run has fewer, no candidate starting in it is a phone: skip the run unmatched (dates,
            // times, amounts, versions).
            int runEnd = i;
            int digits = 0;
            boolean prefixed = false;
            while (runEnd < length) {
                char r = text.charAt(runEnd);
                if (r >= '0' && r <= '9') {
                    digits++;
                } else if (r == '+' || r == '(') {
                    prefixed = true;
                } else if (!isRunChar(r)) {
                    break;
                }
                runEnd++;
            }
            if (digits < (prefixed ? MIN_PHONE_DIGITS : MIN_UNPREFIXED_PHONE_DIGITS)) {
                i = runEnd;
                continue;
            }
            int end = greedyCandidateEnd(text, i);
            if (end < 0) {
                if (matcher == null) {
                    matcher = PHONE_CANDIDATE.matcher(text);
                }
                matcher.region(i, length);
                if (!matcher.lookingAt()) {
                    i++;
                    continue;
                }
                end = matcher.end();
            }
            if (looksLikePhone(text.substring(i, end))) {
                if (out == null) {
                    out = new StringBuilder(length);
                }
                out.append(text, copiedUpTo, i).append(PHONE);
                copiedUpTo = end;
            }
            i = Math.max(end, i + 1);
        }
        return out == null ? text : out.append(text, copiedUpTo, length).toString();
    }

    /**
     * Where {@link #PHONE_CANDIDATE} matches at {@code start} when its first try succeeds, else -1
     * (then the regex decides). The regex's quantifiers are all greedy, so the first path it tries
     * takes, at each step, as much as it can: the {@code +country} group with up to 3 digits and a
     * separator, the {@code (area)} group, up to 14 digits, then up to five groups of a separator and
     * up to 14 digits. When that path reaches the end and the look-ahead accepts it, it is the
     * regex's match; on any failure along it (where the regex would backtrack) this gives up.
     */
    static int greedyCandidateEnd(String text, int start) {
        int length = text.length();
        int i = start;
        if (i < length && text.charAt(i) == '+') {
            int digitsEnd = digitsEnd(text, i + 1, 3);
            if (digitsEnd > i + 1) {
                i = digitsEnd;
                if (i < length && isSeparator(text.charAt(i))) {
                    i++;
                }
            }
        }
        if (i < length && text.charAt(i) == '(') {
            int digitsEnd = digitsEnd(text, i + 1, 5);
            if (digitsEnd > i + 1 && digitsEnd < length && text.charAt(digitsEnd) == ')') {
                i = digitsEnd + 1;
                if (i < length && isSeparator(text.charAt(i))) {
                    i++;
                }
            }
        }
        int digitsEnd = digitsEnd(text, i, 14);
        if (digitsEnd == i) {
            return -1;
        }
        i = digitsEnd;
        for (int groups = 0; groups < 5; groups++) {
            if (i + 1 < length && isSeparator(text.charAt(i)) && isDigit(text.charAt(i + 1))) {
                i = digitsEnd(text, i + 1, 14);
            } else {
                break;
            }
        }
        if (i < length) {
            char next = text.charAt(i);
            if (isWord(next) || next == '-' || next == '/'
                    || ((next == '.' || next == ',') && i + 1 < length && isDigit(text.charAt(i + 1)))) {
                return -1;
            }
        }
        return i;
    }

    /** The end of the run of at most {@code max} ASCII digits from {@code from}. */
    private static int digitsEnd(String text, int from, int max) {
        int end = from;
        int limit = Math.min(text.length(), from + max);
        while (end < limit && isDigit(text.charAt(end))) {
            end++;
        }
        return end;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** A char a phone candidate may consist of: a digit, {@code + ( ) . -} or a space. */
    private static boolean isRunChar(char c) {
        return isDigit(c) || c == ' ' || c == '.' || c == '-' || c == '+' || c == '(' || c == ')';
    }

    private static boolean isSeparator(char c) {
        return c == ' ' || c == '.' || c == '-';
    }

    /**
     * Where {@link #EMAIL_ADDRESS} matched at {@code start} ends, or -1 when it does not match, decided
     * without the regex engine (the same answer; {@code RedactorAgreementTest} compares them). The
     * local part is the run of local-part characters from {@code start} to the {@code @} at
     * {@code at}; it matches when 1 to 64 long (the possessive quantifier cannot give any back). The
     * domain's labels contain no dot, so each is the text between two dots; the greedy label group
     * tries the most labels first (at most 8), each 1 to 63 letters, digits or hyphens, not starting
     * or ending with a hyphen; the top-level domain after the last of them is then a run of 2 to 24
     * letters followed by neither a word character nor a hyphen (a shorter run would be followed by
     * a letter, so it must be the whole run).
     */
    static int emailEnd(String text, int start, int at) {
        if (at - start < 1 || at - start > 64) {
            return -1;
        }
        int length = text.length();
        int[] dots = new int[8];
        int labels = 0;
        int i = at + 1;
        while (labels < 8) {
            int from = i;
            while (i < length && isLabelChar(text.charAt(i))) {
                i++;
            }
            if (i >= length || text.charAt(i) != '.') {
                break;
            }
            if (!isLabel(text, from, i)) {
                break; // labels after an invalid one cannot take part
            }
            dots[labels++] = i;
            i++;
        }
        for (int k = labels; k >= 1; k--) {
            int tld = dots[k - 1] + 1;
            int end = tld;
            while (end < length && isAsciiLetter(text.charAt(end))) {
                end++;
            }
            int letters = end - tld;
            if (letters >= 2 && letters <= 24
                    && (end == length || (!isWord(text.charAt(end)) && text.charAt(end) != '-'))) {
                return end;
            }
        }
        return -1;
    }

    private static boolean isLabel(String text, int from, int to) {
        int n = to - from;
        return n >= 1 && n <= 63 && text.charAt(from) != '-' && text.charAt(to - 1) != '-';
    }

    private static boolean isLabelChar(char c) {
        return isAsciiLetter(c) || (c >= '0' && c <= '9') || c == '-';
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isLocalPart(char c) {
        return isWord(c) || c == '.' || c == '%' || c == '+' || c == '-';
    }

    private static boolean precedesNoPhone(char c) {
        return isWord(c) || c == '+' || c == '.' || c == '-' || c == '/';
    }

    private static boolean isWord(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    /** Whether a candidate digit sequence is written the way phone numbers are. */
    static boolean looksLikePhone(String candidate) {
        int digits = 0;
        boolean separated = false;
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == ' ' || c == '.' || c == '-') {
                separated = true;
            }
        }
        if (digits < MIN_PHONE_DIGITS || digits > 15) {
            return false;
        }
        if (candidate.charAt(0) == '+' || candidate.indexOf('(') >= 0) {
            return true;
        }
        if (NORTH_AMERICAN.matcher(candidate).matches()) {
            return true;
        }
        return candidate.charAt(0) == '0' && digits >= 10 && separated;
    }
}
