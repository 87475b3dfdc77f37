class Kernels(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  def forward(self: __torch__.Kernels,
    x: Tensor) -> Tensor:
    return x
  def silu_mul(self: __torch__.Kernels,
    gate: Tensor,
    up: Tensor) -> Tensor:
    return torch.mul(torch.silu(gate), up)
  def causal_attention(self: __torch__.Kernels,
    q: Tensor,
    k: Tensor,
    v: Tensor) -> Tensor:
    b, kv_heads, t, d = torch.size(k)
    group = torch.floordiv(torch.size(q, 1), kv_heads)
    heads = torch.mul(kv_heads, group)
    if torch.eq(group, 1):
      k_all = k
      v_all = v
    else:
      shape = [b, t, kv_heads, group, d]
      k_all = torch.transpose(torch.reshape(torch.expand(torch.unsqueeze(torch.transpose(k, 1, 2), 3), shape), [b, t, heads, d]), 1, 2)
      v_all = torch.transpose(torch.reshape(torch.expand(torch.unsqueeze(torch.transpose(v, 1, 2), 3), shape), [b, t, heads, d]), 1, 2)
    return torch.scaled_dot_product_attention(q, k_all, v_all, None, 0., True)
  def lora_add_(self: __torch__.Kernels,
    y: Tensor,
    x: Tensor,
    a: Tensor,
    b: Tensor,
    scaling: Tensor) -> Tensor:
    down = torch.linear(x, a)
    alpha = float(scaling)
    if torch.eq(torch.dim(y), 2):
      _0 = torch.addmm_(y, down, torch.t(b), beta=1, alpha=alpha)
    else:
      if torch.eq(torch.dim(y), 3):
        b_t = torch.expand(torch.t(b), [torch.size(y, 0), torch.size(b, 1), torch.size(b, 0)])
        _1 = torch.baddbmm_(y, down, b_t, beta=1, alpha=alpha)
      else:
        _2 = torch.add_(y, torch.linear(down, b), alpha=alpha)
    return y
  def adamw_step(self: __torch__.Kernels,
    params: List[Tensor],
    grads: List[Tensor],
    exp_avgs: List[Tensor],
    exp_avg_sqs: List[Tensor],
    steps: List[Tensor],
    settings: Tensor) -> Tensor:
    lr = float(torch.select(settings, 0, 0))
    beta1 = float(torch.select(settings, 0, 1))
    beta2 = float(torch.select(settings, 0, 2))
    eps = float(torch.select(settings, 0, 3))
    weight_decay = float(torch.select(settings, 0, 4))
    max_norm = float(torch.select(settings, 0, 5))
    norm = torch.linalg_vector_norm(torch.stack(torch._foreach_norm(grads, 2)), 2)
    if bool(torch.isfinite(norm)):
      if torch.gt(max_norm, 0.):
        clip = torch.div(max_norm, torch.add(float(norm), 1.0e-06))
        if torch.lt(clip, 1.):
          torch._foreach_mul_(grads, clip)
      torch._foreach_add_(steps, 1.)
      torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor], []), steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
      torch._foreach_zero_(grads)
    return norm
  def rotary(self: __torch__.Kernels,
    x: Tensor,
    cos: Tensor,
    signed_sin: Tensor) -> Tensor:
    half = torch.floordiv(torch.size(x, -1), 2)
    return torch.addcmul(torch.mul(x, cos), torch.roll(x, [half], [-1]), signed_sin)
