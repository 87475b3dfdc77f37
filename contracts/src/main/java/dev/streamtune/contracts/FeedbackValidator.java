package dev.streamtune.contracts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
  * Checks raw bytes against the feedback event contract and reports every rule they break.
  *
  * <p>The rules are the ones {@code feedback.schema.json} states (tests keep the two in agreement),
  * plus two a JSON Schema cannot express: text limits count UTF-8 bytes (the schema counts
  * characters, which agrees on ASCII) and the whole event has a byte limit. Thread-safe.
  */
public final class FeedbackValidator {
    /** Adapter ids: lower-case segments, optionally {@code tenant/task}; e.g. {@code acme/scheduling}. */
    public static final Pattern ADAPTER_ID =
            Pattern.compile("^[a-z0-9][a-z0-9._-]{0,62}(/[a-z0-9][a-z0-9._-]{0,62})?$");
    /** Event and user ids: 1–128 characters of letters, digits and {@code . _ : -}. */
    public static final Pattern OPAQUE_ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$");
    /** RFC 3339 timestamps with an explicit offset (the calendar is checked separately). */
    public static final Pattern TIMESTAMP =
            Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$");
    /** {@code servedBy}: one token without whitespace, e.g. {@code email-drafting@7}. */
    public static final Pattern SERVED_BY = Pattern.compile("^\\S{1,256}$");
    /** A text field must hold at least one non-whitespace character. */
    private static final Pattern NOT_BLANK = Pattern.compile("\\S");

    private static final Set<String> KNOWN_FIELDS =
            Set.of("schema", "id", "time", "adapter", "user", "kind", "prompt", "messages", "completion",
                    "response", "corrected", "rating", "chosen", "rejected", "servedBy", "metadata");

    private final ValidationLimits limits;

    public FeedbackValidator(ValidationLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** A validator with {@link ValidationLimits#DEFAULTS}. */
    public FeedbackValidator() {
        this(ValidationLimits.DEFAULTS);
    }

    public ValidationLimits limits() {
        return limits;
    }

    /**
      * Validates raw bytes (as read from Kafka or a file) and, if valid, builds the event. A valid
      * event is usually settled in one streaming pass ({@link FeedbackFastPath}); anything else gets
      * the full check below, which reports every violation.
      */
    public ValidationResult validate(byte[] bytes) {
        VerbatimTexts verbatim = new VerbatimTexts(bytes);
        FeedbackEvent fast = FeedbackFastPath.tryParse(bytes, limits, verbatim);
        if (fast != null) {
            return ValidationResult.valid(fast, verbatim);
        }
        List<Violation> violations = new ArrayList<>();
        if (bytes == null || bytes.length == 0) {
            return ValidationResult.invalid(List.of(new Violation(Reason.UNPARSABLE, "", "empty record")));
        }
        if (bytes.length > limits.maxEventBytes()) {
            violations.add(new Violation(Reason.OVERSIZE_EVENT, "",
                    bytes.length + " bytes, limit " + limits.maxEventBytes()));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            violations.add(new Violation(Reason.INVALID_UTF8, "", "bytes are not valid UTF-8"));
            return ValidationResult.invalid(violations);
        }
        JsonNode root;
        try {
            root = Json.strictReader().readTree(text);
        } catch (JsonProcessingException e) {
            violations.add(new Violation(Reason.UNPARSABLE, "", firstLine(e.getOriginalMessage())));
            return ValidationResult.invalid(violations);
        }
        if (root == null || !root.isObject()) {
            violations.add(new Violation(Reason.UNPARSABLE, "",
                    "expected a JSON object, got " + (root == null ? "nothing" : root.getNodeType())));
            return ValidationResult.invalid(violations);
        }
        return validateTree((ObjectNode) root, violations);
    }

    /** Validates an already-parsed JSON object (used by the CLI and by tests). */
    public ValidationResult validate(JsonNode root) {
        if (root == null || !root.isObject()) {
            return ValidationResult.invalid(
                    List.of(new Violation(Reason.UNPARSABLE, "", "expected a JSON object")));
        }
        return validateTree((ObjectNode) root, new ArrayList<>());
    }

    private ValidationResult validateTree(ObjectNode root, List<Violation> violations) {
        Checker check = new Checker(root, violations);

        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KNOWN_FIELDS.contains(name)) {
                violations.add(new Violation(Reason.UNKNOWN_FIELD, pointer(name), "not a field of "
                        + FeedbackEvent.SCHEMA_V1));
            }
        }

        String schema = check.requiredString("schema");
        if (schema != null && !schema.equals(FeedbackEvent.SCHEMA_V1)) {
            violations.add(new Violation(Reason.UNKNOWN_SCHEMA, "/schema",
                    "'" + abbreviate(schema) + "' is not " + FeedbackEvent.SCHEMA_V1));
        }
        String id = check.requiredString("id");
        if (id != null && !OPAQUE_ID.matcher(id).matches()) {
            violations.add(new Violation(Reason.INVALID_VALUE, "/id",
                    "must be 1-128 letters, digits or . _ : -"));
        }
        String time = check.requiredString("time");
        if (time != null && !isTimestamp(time)) {
            violations.add(new Violation(Reason.INVALID_TIME, "/time",
                    "'" + abbreviate(time) + "' is not an RFC 3339 timestamp with offset"));
        }
        String adapter = check.requiredString("adapter");
        if (adapter != null && !ADAPTER_ID.matcher(adapter).matches()) {
            violations.add(new Violation(Reason.INVALID_ADAPTER, "/adapter",
                    "'" + abbreviate(adapter) + "' is not an adapter id (lower-case, [tenant/]task)"));
        }
        String user = check.requiredString("user");
        if (user != null && !OPAQUE_ID.matcher(user).matches()) {
            violations.add(new Violation(Reason.INVALID_VALUE, "/user",
                    "must be 1-128 letters, digits or . _ : -"));
        }
        FeedbackKind kind = null;
        String kindName = check.requiredString("kind");
        if (kindName != null) {
            kind = FeedbackKind.fromWireName(kindName).orElse(null);
            if (kind == null) {
                violations.add(new Violation(Reason.UNKNOWN_KIND, "/kind", "'" + abbreviate(kindName)
                        + "' is not one of demonstration, correction, rating, preference"));
            }
        }

        boolean hasPrompt = root.has("prompt");
        boolean hasMessages = root.has("messages");
        String prompt = null;
        List<ChatMessage> messages = null;
        if (hasPrompt && hasMessages) {
            violations.add(new Violation(Reason.UNEXPECTED_FIELD, "/messages",
                    "give either prompt or messages, not both"));
        } else if (!hasPrompt && !hasMessages) {
            violations.add(new Violation(Reason.MISSING_FIELD, "/prompt",
                    "one of prompt or messages is required"));
        }
        if (hasPrompt) {
            prompt = check.text("prompt", root.get("prompt"), "/prompt");
        }
        if (hasMessages) {
            messages = check.messages(root.get("messages"));
        }

        Map<String, String> texts = new LinkedHashMap<>();
        Integer rating = null;
        for (String field : FeedbackKind.KIND_SPECIFIC_FIELDS) {
            boolean present = root.has(field);
            boolean required = kind != null && kind.requiredFields().contains(field);
            if (present && kind != null && !required) {
                violations.add(new Violation(Reason.UNEXPECTED_FIELD, pointer(field),
                        "a " + kind.wireName() + " event does not carry " + field));
            } else if (required && (!present || root.get(field).isNull())) {
                violations.add(new Violation(Reason.MISSING_FIELD, pointer(field),
                        "required for a " + kind.wireName() + " event"));
            } else if (present && field.equals("rating")) {
                rating = check.rating(root.get("rating"));
            } else if (present) {
                texts.put(field, check.text(field, root.get(field), pointer(field)));
            }
        }

        String servedBy = null;
        if (root.has("servedBy")) {
            JsonNode node = root.get("servedBy");
            if (!node.isTextual()) {
                check.wrongType("/servedBy", "string", node);
            } else if (!SERVED_BY.matcher(node.textValue()).matches()) {
                violations.add(new Violation(Reason.INVALID_VALUE, "/servedBy",
                        "must be one token such as email-drafting@7"));
            } else {
                servedBy = node.textValue();
            }
        }
        Map<String, String> metadata = null;
        if (root.has("metadata")) {
            metadata = check.metadata(root.get("metadata"));
        }

        if (!violations.isEmpty()) {
            return ValidationResult.invalid(violations);
        }
        return ValidationResult.valid(new FeedbackEvent(schema, id, time, adapter, user, kind, prompt,
                messages, texts.get("completion"), texts.get("response"), texts.get("corrected"), rating,
                texts.get("chosen"), texts.get("rejected"), servedBy, metadata));
    }

    /** True when {@code time} is an RFC 3339 timestamp with offset and a real calendar date. */
    public static boolean isTimestamp(String time) {
        if (!TIMESTAMP.matcher(time).matches()) {
            return false;
        }
        try {
            OffsetDateTime.parse(time, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** Collects violations while reading one event's fields. */
    private final class Checker {
        private final ObjectNode root;
        private final List<Violation> violations;

        Checker(ObjectNode root, List<Violation> violations) {
            this.root = root;
            this.violations = violations;
        }

        String requiredString(String field) {
            JsonNode node = root.get(field);
            if (node == null || node.isNull()) {
                violations.add(new Violation(Reason.MISSING_FIELD, pointer(field), "required"));
                return null;
            }
            if (!node.isTextual()) {
                wrongType(pointer(field), "string", node);
                return null;
            }
            return node.textValue();
        }

        String text(String field, JsonNode node, String where) {
            if (node == null || !node.isTextual()) {
                wrongType(where, "string", node);
                return null;
            }
            String value = node.textValue();
            if (!NOT_BLANK.matcher(value).find()) {
                violations.add(new Violation(Reason.EMPTY_TEXT, where, field + " is empty"));
                return null;
            }
            int bytes = value.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > limits.maxFieldBytes()) {
                violations.add(new Violation(Reason.OVERSIZE_FIELD, where,
                        bytes + " bytes, limit " + limits.maxFieldBytes()));
                return null;
            }
            return value;
        }

        Integer rating(JsonNode node) {
            if (!node.isNumber()) {
                wrongType("/rating", "integer", node);
                return null;
            }
            double value = node.doubleValue();
            if (value != 1.0 && value != -1.0) {
                violations.add(new Violation(Reason.INVALID_VALUE, "/rating", "must be 1 or -1, got "
                        + node.asText()));
                return null;
            }
            return (int) value;
        }

        List<ChatMessage> messages(JsonNode node) {
            if (!node.isArray()) {
                wrongType("/messages", "array", node);
                return null;
            }
            if (node.isEmpty()) {
                violations.add(new Violation(Reason.INVALID_VALUE, "/messages", "needs at least one turn"));
                return null;
            }
            if (node.size() > limits.maxMessages()) {
                violations.add(new Violation(Reason.INVALID_VALUE, "/messages",
                        node.size() + " turns, limit " + limits.maxMessages()));
                return null;
            }
            List<ChatMessage> turns = new ArrayList<>();
            int before = violations.size();
            for (int i = 0; i < node.size(); i++) {
                String where = "/messages/" + i;
                JsonNode turn = node.get(i);
                if (!turn.isObject()) {
                    wrongType(where, "object", turn);
                    continue;
                }
                for (Iterator<String> names = turn.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    if (!name.equals("role") && !name.equals("content")) {
                        violations.add(new Violation(Reason.UNKNOWN_FIELD, where + "/" + escape(name),
                                "a chat turn has only role and content"));
                    }
                }
                JsonNode role = turn.get("role");
                String roleValue = null;
                if (role == null || role.isNull()) {
                    violations.add(new Violation(Reason.MISSING_FIELD, where + "/role", "required"));
                } else if (!role.isTextual()) {
                    wrongType(where + "/role", "string", role);
                } else if (!ChatMessage.ROLES.contains(role.textValue())) {
                    violations.add(new Violation(Reason.INVALID_VALUE, where + "/role",
                            "must be system, user or assistant"));
                } else {
                    roleValue = role.textValue();
                }
                JsonNode content = turn.get("content");
                String contentValue = null;
                if (content == null || content.isNull()) {
                    violations.add(new Violation(Reason.MISSING_FIELD, where + "/content", "required"));
                } else {
                    contentValue = text("content", content, where + "/content");
                }
                if (roleValue != null && contentValue != null) {
                    turns.add(new ChatMessage(roleValue, contentValue));
                }
            }
            return violations.size() == before ? turns : null;
        }

        Map<String, String> metadata(JsonNode node) {
            if (!node.isObject()) {
                wrongType("/metadata", "object", node);
                return null;
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String where = "/metadata/" + escape(entry.getKey());
                if (!entry.getValue().isTextual()) {
                    wrongType(where, "string", entry.getValue());
                } else if (entry.getValue().textValue().getBytes(StandardCharsets.UTF_8).length
                        > limits.maxFieldBytes()) {
                    violations.add(new Violation(Reason.OVERSIZE_FIELD, where, "metadata value too long"));
                } else {
                    metadata.put(entry.getKey(), entry.getValue().textValue());
                }
            }
            return metadata;
        }

        void wrongType(String where, String expected, JsonNode actual) {
            violations.add(new Violation(Reason.WRONG_TYPE, where, "expected " + expected + ", got "
                    + (actual == null ? "nothing" : actual.getNodeType().toString().toLowerCase())));
        }
    }

    private static String pointer(String field) {
        return "/" + escape(field);
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    private static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 61) + "...";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "not JSON";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
