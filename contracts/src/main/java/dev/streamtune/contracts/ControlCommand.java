package dev.streamtune.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
  * A command on {@code adapters.control}, keyed by adapter id. The registry is a pure fold over these
  * commands in offset order, so every replica that reads the topic reaches the same state.
  *
  * @param schema always {@link #SCHEMA_V1}
  * @param id unique command id (idempotency key)
  * @param issuer who issued it: an operator's name or {@code evaluator}
  * @param time when it was issued, RFC 3339
  * @param adapter the adapter it concerns
  * @param action what to do
  * @param version the adapter version it names; {@code null} for PAUSE/RESUME/UNPIN and for a
  *     ROLLBACK to the previous promoted version
  * @param reason free text for the audit trail
  * @param sha256 hex sha256 of the named version's {@code adapter_model.safetensors}, checked before
  *     loading; {@code null} when no version is named
  * @param signature base64 signature over the other fields (see the deploy module); commands without
  *     a valid signature are ignored by the registry
  */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ControlCommand(
        String schema,
        String id,
        String issuer,
        String time,
        String adapter,
        ControlAction action,
        Integer version,
        String reason,
        String sha256,
        String signature) {

    public static final String SCHEMA_V1 = "streamtune.control/v1";

    public ControlCommand {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(action, "action");
        if (version != null && version < 1) {
            throw new IllegalArgumentException("version must be at least 1, got " + version);
        }
        if ((action == ControlAction.PROMOTE || action == ControlAction.REJECT
                || action == ControlAction.PIN) && version == null) {
            throw new IllegalArgumentException(action + " needs a version");
        }
    }

    /** The same command with its signature set. */
    public ControlCommand withSignature(String newSignature) {
        return new ControlCommand(schema, id, issuer, time, adapter, action, version, reason, sha256,
                newSignature);
    }
}
