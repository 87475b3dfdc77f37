package dev.streamtune.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
  * The trainer's announcement of a new adapter version, on {@code adapters.candidates}, keyed by
  * adapter id. The version itself is an immutable directory in the adapter store (PEFT layout plus
  * {@code streamtune.json}); this record says where and how to check it.
  *
  * @param schema always {@link #SCHEMA_V1}
  * @param adapter the adapter id
  * @param version the new version, 1, 2, … per adapter
  * @param parentVersion the version it was trained from, {@code null} for the first
  * @param location where the version's directory is, as a path or URI the stages share
  * @param sha256 hex sha256 of its {@code adapter_model.safetensors}
  * @param baseModel the base model id the adapter applies to
  * @param metrics training metrics (loss, examples, tokens…)
  * @param lineage the input offsets it learned from
  * @param time when it was published, RFC 3339
  */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CandidateAnnouncement(
        String schema,
        String adapter,
        int version,
        Integer parentVersion,
        String location,
        String sha256,
        String baseModel,
        Map<String, Double> metrics,
        List<OffsetRange> lineage,
        String time) {

    public static final String SCHEMA_V1 = "streamtune.candidate/v1";

    public CandidateAnnouncement {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(baseModel, "baseModel");
        Objects.requireNonNull(time, "time");
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1, got " + version);
        }
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        lineage = lineage == null ? List.of() : List.copyOf(lineage);
    }
}
