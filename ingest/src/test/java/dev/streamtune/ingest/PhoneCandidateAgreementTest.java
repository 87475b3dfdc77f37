package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Redactor's hand-taken first path of the phone candidate regex ends where the regex does. */
class PhoneCandidateAgreementTest {
    private static final Pattern PHONE_CANDIDATE = Pattern.compile(
            "(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d{1,14}(?:[ .-]\\d{1,14}){0,5}"
                    + "(?![\\w\\-/]|[.,]\\d)");
    private static final String ALPHABET = "0123456789012345678901234567890123456789 .-+()/,_aZ\u00e9";

    @Test
    void whereverTheFirstPathSucceedsItIsTheRegexMatch() {
        Random random = new Random(42);
        int decided = 0;
        for (int n = 0; n < 300_000; n++) {
            StringBuilder text = new StringBuilder();
            int len = 1 + random.nextInt(40);
            for (int i = 0; i < len; i++) {
                text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            String s = text.toString();
            for (int start = 0; start < s.length(); start++) {
                int end = Redactor.greedyCandidateEnd(s, start);
                if (end >= 0) {
                    Matcher m = PHONE_CANDIDATE.matcher(s);
                    m.region(start, s.length());
                    assertTrue(m.lookingAt(), s + " @" + start);
                    assertEquals(m.end(), end, s + " @" + start);
                    decided++;
                }
            }
        }
        assertTrue(decided > 100_000, "decided " + decided);
        assertEquals(16, Redactor.greedyCandidateEnd("+44 20 7946 1234 ok", 0));
    }
}
