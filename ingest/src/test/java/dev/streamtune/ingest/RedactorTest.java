package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedactorTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "sam@example.com", "sam.jones+news@mail.example.co.uk", "OPS_team@acme-corp.io",
            "a@b.museum"})
    void eMailAddressesAreRedacted(String address) {
        assertEquals("Write to [email] today.", Redactor.redact("Write to " + address + " today."));
        assertEquals("[email]", Redactor.redact(address));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "+44 20 7946 0958", "+1 (415) 555-0132", "(415) 555-0132", "415-555-0132", "415.555.0132",
            "+33 1 23 45 67 89", "+49 30 1234567", "+491701234567", "020 7946 0958", "07700 900123",
            "+81-3-1234-5678"})
    void phoneNumbersAreRedacted(String phone) {
        assertEquals("Call [phone], thanks.", Redactor.redact("Call " + phone + ", thanks."));
        assertEquals("[phone]", Redactor.redact(phone));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "2026-11-27", "27.11.2026", "11/27/2026", "2026-11-27T09:00:00Z", "09:00-17:30", "12:30:45",
            "v1.2.3", "1.2.3", "10.20.30.40", "4.4.0", "user@host", "email-drafting@7", "u-8f3a",
            "01JD6Y0000000000000000000A", "order 12345678", "ORD-2026-000123", "1 000 000", "3.14159265",
            "$1,234,567.89", "ISBN 978-3-16-148410-0", "build 20261127", "acme/scheduling@12",
            "id:123456789", "0.5", "2026 11 27"})
    void datesTimesVersionsAndIdsAreLeftAlone(String text) {
        String sentence = "See " + text + " here.";
        assertEquals(sentence, Redactor.redact(sentence));
    }

    @Test
    void severalMatchesInOneTextAreAllRedacted() {
        assertEquals("[email] or [phone] or [email], not 2026-11-27",
                Redactor.redact("a@x.org or +1 415 555 0132 or b@y.net, not 2026-11-27"));
    }

    @Test
    void longTextsWithoutMatchesStayFast() {
        String text = "a".repeat(200_000) + "@" + "1-".repeat(50_000);
        long start = System.nanoTime();
        Redactor.redact(text);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2000, millis + " ms");
    }

    @Test
    void mightRedactSaysWhetherATextHoldsAnAtOrTwoAdjacentDigits() {
        // digits, '@' and what separates them, the text at every offset of the 8-byte words
        String[] pieces = {"1", "23", "@", "a", ":", "b.c", " ", "-", "\n", "é", "€", "😀", "x@y.co", "+44 20 7946 0958",
            "12345", "plain words", "7", "0", "9", "/"};
        Random random = new Random(17);
        int cleared = 0;
        for (int i = 0; i < 100_000; i++) {
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(20); n > 0; n--) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            String input = text.toString();
            int offset = random.nextInt(8);
            byte[] bytes = ("@1".repeat(4).substring(0, offset) + input).getBytes(StandardCharsets.UTF_8);
            boolean expected = input.indexOf('@') >= 0 || input.matches("(?s).*[0-9][0-9].*");
            assertEquals(expected, Redactor.mightRedact(bytes, offset, bytes.length), input);
            if (!expected) {
                assertEquals(input, Redactor.redact(input), input); // what makes skipping it right
                cleared++;
            }
        }
        assertTrue(cleared > 5_000, "cleared " + cleared);
    }
}
