#!/usr/bin/env python3
"""PyTorch eager peer of `streamtune bench train`.

Trains the same LoRA SFT step as streamtune's model core, written as a PyTorch user would write it:
a Hugging Face-style Llama (RMSNorm, rotate-half RoPE, GQA via repeat_kv, SwiGLU, untied head, eager
attention with an additive causal mask), PEFT-style LoRA (frozen nn.Linear + lora_A/lora_B nn.Linear,
scaled by alpha/r), F.cross_entropy, clip_grad_norm_, torch.optim.AdamW.

Everything that defines the work comes from the directory written by the Java side:
  config.json               Hugging Face model config
  model.safetensors         base weights (HF names)
  adapter_config.json       PEFT LoRA config; adapter_model.safetensors: initial A (Kaiming), B = 0
  bench.json                batch, sequence length, optimizer, warm-up/timed steps
  data.safetensors          "tokens" int64 [B, T+1]: inputs are [:, :-1], targets [:, 1:]

Prints one JSON object on the last line of stdout. Install (Debian/Ubuntu):
  apt-get install -y python3-torch libopenblas0-openmp
Exit codes: 2 = bad usage/inputs, 3 = the reference (single-threaded, unoptimised) BLAS is loaded.
"""
import argparse
import json
import math
import os
import struct
import sys
import time


def loaded_blas():
    """Shared libraries of this process that provide BLAS, resolved to real paths (from /proc/self/maps)."""
    libs = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and ("blas" in parts[5].lower() or "mkl" in parts[5].lower()):
                    libs.add(os.path.realpath(parts[5]))
    except OSError:
        pass
    return sorted(libs)


def is_reference_blas(libs):
    """Netlib's reference BLAS: Debian installs it as .../blas/libblas.so.3 (no openblas/mkl/blis in the path)."""
    optimised = [l for l in libs if any(k in l.lower() for k in ("openblas", "mkl", "blis", "atlas"))]
    return not optimised


def read_safetensors(path):
    import torch
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + start:base + end]), dtype=dtypes[meta["dtype"]])
        out[name] = t.reshape(meta["shape"]).clone()
    return out


def build(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    cfg = json.load(open(os.path.join(args.dir, "config.json")))
    lora_cfg = json.load(open(os.path.join(args.dir, "adapter_config.json")))
    C = cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    K = cfg.get("num_key_value_heads", H)
    D = cfg.get("head_dim", C // H)
    eps = cfg["rms_norm_eps"]
    theta = cfg.get("rope_theta", 10000.0)
    r = lora_cfg["r"]
    scaling = lora_cfg["lora_alpha"] / r
    targets = set(lora_cfg["target_modules"])

    class RMSNorm(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(dim))

        def forward(self, x):
            variance = x.pow(2).mean(-1, keepdim=True)
            return self.weight * (x * torch.rsqrt(variance + eps))

    class LoraLinear(nn.Module):
        """peft.tuners.lora.Linear in eager form: base(x) + lora_B(lora_A(dropout(x))) * scaling."""

        def __init__(self, base):
            super().__init__()
            self.base_layer = base
            self.lora_dropout = nn.Dropout(lora_cfg.get("lora_dropout", 0.0)) if lora_cfg.get("lora_dropout", 0.0) > 0 else nn.Identity()
            self.lora_A = nn.Linear(base.in_features, r, bias=False)
            self.lora_B = nn.Linear(r, base.out_features, bias=False)
            self.scaling = scaling

        def forward(self, x):
            return self.base_layer(x) + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling

    def linear(name, n_in, n_out):
        base = nn.Linear(n_in, n_out, bias=False)
        return LoraLinear(base) if name in targets else base

    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    def repeat_kv(x, n_rep):
        b, kv, t, d = x.shape
        if n_rep == 1:
            return x
        return x[:, :, None, :, :].expand(b, kv, n_rep, t, d).reshape(b, kv * n_rep, t, d)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = linear("q_proj", C, H * D)
            self.k_proj = linear("k_proj", C, K * D)
            self.v_proj = linear("v_proj", C, K * D)
            self.o_proj = linear("o_proj", H * D, C)

        def forward(self, x, cos, sin, mask):
            b, t, _ = x.shape
            q = self.q_proj(x).view(b, t, H, D).transpose(1, 2)
            k = self.k_proj(x).view(b, t, K, D).transpose(1, 2)
            v = self.v_proj(x).view(b, t, K, D).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = repeat_kv(k, H // K)
            v = repeat_kv(v, H // K)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(D) + mask
            probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, H * D)
            return self.o_proj(out)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            Fd = cfg["intermediate_size"]
            self.gate_proj = linear("gate_proj", C, Fd)
            self.up_proj = linear("up_proj", C, Fd)
            self.down_proj = linear("down_proj", Fd, C)

        def forward(self, x):
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = RMSNorm(C)
            self.self_attn = Attention()
            self.post_attention_layernorm = RMSNorm(C)
            self.mlp = MLP()

        def forward(self, x, cos, sin, mask):
            x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
            return x + self.mlp(self.post_attention_layernorm(x))

    class Llama(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(cfg["vocab_size"], C)
            self.layers = nn.ModuleList(Block() for _ in range(cfg["num_hidden_layers"]))
            self.norm = RMSNorm(C)
            self.lm_head = nn.Linear(C, cfg["vocab_size"], bias=False)
            inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float32) / D))
            self.register_buffer("inv_freq", inv_freq, persistent=False)

        def forward(self, ids):
            b, t = ids.shape
            # rotary tables and causal mask built per call, as HF's eager Llama does
            pos = torch.arange(t, dtype=torch.float32)
            freqs = torch.outer(pos, self.inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos()[None, None], emb.sin()[None, None]
            mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]
            x = self.embed_tokens(ids)
            for layer in self.layers:
                x = layer(x, cos, sin, mask)
            return self.lm_head(self.norm(x))

    model = Llama()
    if cfg.get("tie_word_embeddings", False):
        model.lm_head.weight = model.embed_tokens.weight
    # load base weights (HF names: model.xxx, lm_head.weight) and the initial adapter (PEFT names)
    state = {}
    for name, t in read_safetensors(os.path.join(args.dir, "model.safetensors")).items():
        key = name[len("model."):] if name.startswith("model.") else name
        for proj in targets:
            key = key.replace(proj + ".weight", proj + ".base_layer.weight")
        state[key] = t
    for name, t in read_safetensors(os.path.join(args.dir, "adapter_model.safetensors")).items():
        key = name[len("base_model.model.model."):]
        state[key] = t
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("inv_freq")]
    if missing or unexpected:
        raise SystemExit(f"peer: weights do not match the model: missing {missing}, unexpected {unexpected}")
    for name, p in model.named_parameters():
        p.requires_grad_("lora_" in name)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", help="work directory written by streamtune bench train")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--gemm", type=int, default=0, help="also measure a square float32 matmul of this size")
    parser.add_argument("--allow-reference-blas", action="store_true")
    args = parser.parse_args()

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    blas = loaded_blas()
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas,
            "python": sys.executable, "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "unset")}
    if is_reference_blas(blas) and not args.allow_reference_blas:
        info["error"] = ("the reference BLAS is loaded (" + ", ".join(blas or ["none found"]) + "); it is about 40x "
                         "slower than an optimised one. Install OpenBLAS: apt-get install -y libopenblas0-openmp")
        print(json.dumps(info))
        return 3

    bench = json.load(open(os.path.join(args.dir, "bench.json")))
    torch.manual_seed(bench.get("seed", 0))
    model = build(args)
    tokens = read_safetensors(os.path.join(args.dir, "data.safetensors"))["tokens"]
    inputs, targets = tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()
    opt_cfg = bench["optimizer"]
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=opt_cfg["lr"], betas=tuple(opt_cfg["betas"]), eps=opt_cfg["eps"],
                                  weight_decay=opt_cfg["weight_decay"])
    model.train()

    def step():
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, opt_cfg["max_grad_norm"])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    losses = []
    for _ in range(bench["warmup_steps"]):
        losses.append(step())
    start = time.perf_counter()
    for _ in range(bench["timed_steps"]):
        losses.append(step())
    seconds = time.perf_counter() - start
    info["losses"] = losses
    info["seconds"] = seconds
    info["tokens_per_second"] = bench["timed_steps"] * inputs.numel() / seconds

    if args.gemm > 0:
        n = args.gemm
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            torch.mm(a, b)
            best = min(best, time.perf_counter() - t0)
        info["gemm_flops_per_second"] = 2.0 * n ** 3 / best
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
