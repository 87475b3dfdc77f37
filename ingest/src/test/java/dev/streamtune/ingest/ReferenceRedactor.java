package dev.streamtune.ingest;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The redactor as it was before its run-skipping fast path (commit 04055ff), kept to check that
 * {@link Redactor} still redacts exactly the same spans.
 *
 * Replaces e-mail addresses with {@value #EMAIL} and phone numbers with {@value #PHONE} in free
 * text. Conservative on phones: a digit run counts only when it is written like a phone number
 * (international {@code +} prefix, a parenthesised area code, the North American 3-3-4 shape, or a
 * national number with a trunk {@code 0}, at least ten digits and a separator), so dates, times,
 * version numbers, IP addresses, amounts and ids are left alone. Thread-safe.
 */
final class ReferenceRedactor {
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

    private static final Pattern NORTH_AMERICAN = Pattern.compile("\\d{3}[-. ]\\d{3}[-. ]\\d{4}");

    private ReferenceRedactor() {}

    /** The text with e-mail addresses and phone numbers replaced; {@code null} stays {@code null}. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        if (result.indexOf('@') >= 0) {
            result = redactEmails(result);
        }
        if (hasDigitRun(result)) {
            result = redactPhones(result);
        }
        return result;
    }

    private static String redactEmails(String text) {
        Matcher matcher = EMAIL_ADDRESS.matcher(text);
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
            matcher.region(start, text.length());
            if (!matcher.lookingAt()) {
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text.length());
            }
            out.append(text, copiedUpTo, start).append(EMAIL);
            copiedUpTo = matcher.end();
            at = copiedUpTo - 1;
        }
        return out == null ? text : out.append(text, copiedUpTo, text.length()).toString();
    }

    private static String redactPhones(String text) {
        Matcher matcher = PHONE_CANDIDATE.matcher(text);
        StringBuilder out = null;
        int copiedUpTo = 0;
        int i = 0;
        int length = text.length();
        while (i < length) {
            char c = text.charAt(i);
            boolean canStart = (c >= '0' && c <= '9') || c == '+' || c == '(';
            if (!canStart || (i > 0 && precedesNoPhone(text.charAt(i - 1)))) {
                i++;
                continue;
            }
            matcher.region(i, length);
            if (!matcher.lookingAt()) {
                i++;
                continue;
            }
            if (looksLikePhone(matcher.group())) {
                if (out == null) {
                    out = new StringBuilder(length);
                }
                out.append(text, copiedUpTo, i).append(PHONE);
                copiedUpTo = matcher.end();
            }
            i = Math.max(matcher.end(), i + 1);
        }
        return out == null ? text : out.append(text, copiedUpTo, length).toString();
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
        if (digits < 8 || digits > 15) {
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

    private static boolean hasDigitRun(String text) {
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++run >= 2) {
                    return true;
                }
            } else {
                run = 0;
            }
        }
        return false;
    }
}
