package dev.streamtune.model;

import java.util.Locale;

/**
 * The seven linear projections of a decoder block, the modules LoRA can target. {@link #hfName()} is the
 * module name in Hugging Face and PEFT ({@code q_proj} ...), {@link #parent()} the sub-module it lives in.
 */
public enum Projection {
    /** Query projection, [H*D, C]. */
    Q("self_attn", "q_proj"),
    /** Key projection, [K*D, C]. */
    K("self_attn", "k_proj"),
    /** Value projection, [K*D, C]. */
    V("self_attn", "v_proj"),
    /** Attention output projection, [C, H*D]. */
    O("self_attn", "o_proj"),
    /** SwiGLU gate projection, [F, C]. */
    GATE("mlp", "gate_proj"),
    /** SwiGLU up projection, [F, C]. */
    UP("mlp", "up_proj"),
    /** SwiGLU down projection, [C, F]. */
    DOWN("mlp", "down_proj");

    private final String parent;
    private final String hfName;

    Projection(String parent, String hfName) {
        this.parent = parent;
        this.hfName = hfName;
    }

    /** Sub-module holding this projection: {@code self_attn} or {@code mlp}. */
    public String parent() {
        return parent;
    }

    /** Module name as Hugging Face and PEFT spell it, e.g. {@code q_proj}. */
    public String hfName() {
        return hfName;
    }

    /** HF parameter-name prefix of this projection in layer {@code layer}, e.g. {@code model.layers.0.self_attn.q_proj}. */
    public String modulePath(int layer) {
        return "model.layers." + layer + "." + parent + "." + hfName;
    }

    /** Output features of this projection for a config. */
    public int outFeatures(ModelConfig c) {
        return switch (this) {
            case Q -> c.numHeads() * c.headDim();
            case K, V -> c.numKvHeads() * c.headDim();
            case O, DOWN -> c.hiddenSize();
            case GATE, UP -> c.intermediateSize();
        };
    }

    /** Input features of this projection for a config. */
    public int inFeatures(ModelConfig c) {
        return switch (this) {
            case Q, K, V, GATE, UP -> c.hiddenSize();
            case O -> c.numHeads() * c.headDim();
            case DOWN -> c.intermediateSize();
        };
    }

    /** Parses {@code q_proj}, {@code q} or {@code Q}. */
    public static Projection parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Projection p : values()) {
            if (p.hfName.equals(n) || p.name().toLowerCase(Locale.ROOT).equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown projection '" + name + "' (expected one of q_proj, k_proj, v_proj, "
                + "o_proj, gate_proj, up_proj, down_proj)");
    }
}
