package dev.streamtune.ingest;

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
   * Local part, {@code @}, dot-separated domain labels, a TLD of letters. Starts only at the start
   * of a run of address characters (the look-behind) so that a long run without {@code @} is
   * scanned once, not once per position.
   */
  private static final Pattern EMAIL_ADDRESS = Pattern.compile(
      "(?<![\\w.%+-])[\\w.%+-]{1,64}+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,8}"
          + "[A-Za-z]{2,24}(?![\\w-])");

  /**
   * A candidate phone number: optional {@code +country}, optional {@code (area)}, then up to six
   * digit groups separated by one space, dot or hyphen. Candidates are then checked by
   * {@link #looksLikePhone}. Not preceded or followed by a word character, and not part of a
   * longer dotted or slashed number.
   */
  private static final Pattern PHONE_CANDIDATE = Pattern.compile(
      "(?<![\\w+.\\-/])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d{1,14}(?:[ .-]\\d{1,14}){0,5}"
          + "(?![\\w\\-/]|[.,]\\d)");

  private static final Pattern NORTH_AMERICAN = Pattern.compile("\\d{3}[-. ]\\d{3}[-. ]\\d{4}");

  private Redactor() {}

  /** The text with e-mail addresses and phone numbers replaced; {@code null} stays {@code null}. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String result = text;
    if (result.indexOf('@') >= 0) {
      result = EMAIL_ADDRESS.matcher(result).replaceAll(EMAIL);
    }
    if (hasDigitRun(result)) {
      result = redactPhones(result);
    }
    return result;
  }

  private static String redactPhones(String text) {
    Matcher matcher = PHONE_CANDIDATE.matcher(text);
    StringBuilder out = null;
    int copiedUpTo = 0;
    while (matcher.find()) {
      String candidate = matcher.group();
      if (!looksLikePhone(candidate)) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, copiedUpTo, matcher.start()).append(PHONE);
      copiedUpTo = matcher.end();
    }
    if (out == null) {
      return text;
    }
    return out.append(text, copiedUpTo, text.length()).toString();
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
