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
  def lora_input(self: __torch__.Kernels,
    x: Tensor,
    a: Tensor,
    p: float) -> Tuple[Tensor, Tensor]:
    if torch.gt(torch.numel(a), 0):
      if torch.gt(p, 0.):
        noise = torch.div_(torch.bernoulli_(torch.empty_like(x), torch.sub(1., p)), torch.sub(1., p))
        return (torch.mul(x, noise), noise)
    return (x, torch.empty([0]))
  def dropped(self: __torch__.Kernels,
    x: Tensor,
    noise: Tensor) -> Tensor:
    if torch.gt(torch.numel(noise), 0):
      return torch.mul(x, noise)
    return x
  def add_lora_input_gradient_(self: __torch__.Kernels,
    dx: Tensor,
    t: Tensor,
    a: Tensor,
    noise: Tensor,
    s: float) -> Tensor:
    if torch.gt(torch.numel(noise), 0):
      return torch.addcmul_(dx, torch.mm(t, a), noise, value=s)
    return torch.addmm_(dx, t, a, beta=1, alpha=s)
  def block_qkv_forward(self: __torch__.Kernels,
    n: Tensor,
    wq: Tensor,
    wk: Tensor,
    wv: Tensor,
    bias_q: Tensor,
    bias_k: Tensor,
    bias_v: Tensor,
    aq: Tensor,
    bq: Tensor,
    ak: Tensor,
    bk: Tensor,
    av: Tensor,
    bv: Tensor,
    scaling: Tensor,
    dropout: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    s = float(scaling)
    p = float(dropout)
    if torch.gt(p, 0.):
      xq, nq = self.lora_input(n, aq, p)
      xk, nk = self.lora_input(n, ak, p)
      xv, nv = self.lora_input(n, av, p)
      down_q = torch.mm(xq, torch.t(aq))
      down_k = torch.mm(xk, torch.t(ak))
      down_v = torch.mm(xv, torch.t(av))
    else:
      rank = torch.size(aq, 0)
      down = torch.mm(n, torch.t(torch.cat([aq, ak, av])))
      down_q = torch.narrow(down, 1, 0, rank)
      down_k = torch.narrow(down, 1, rank, torch.size(ak, 0))
      down_v = torch.narrow(down, 1, torch.add(rank, torch.size(ak, 0)), torch.size(av, 0))
      nq = torch.empty([0])
      nk = torch.empty([0])
      nv = torch.empty([0])
    q = torch.addmm_(torch.mm(down_q, torch.t(torch.mul(bq, s))), n, torch.t(wq), beta=1, alpha=1)
    k = torch.addmm_(torch.mm(down_k, torch.t(torch.mul(bk, s))), n, torch.t(wk), beta=1, alpha=1)
    v = torch.addmm_(torch.mm(down_v, torch.t(torch.mul(bv, s))), n, torch.t(wv), beta=1, alpha=1)
    if torch.gt(torch.numel(bias_q), 0):
      q = torch.add_(q, bias_q)
      k = torch.add_(k, bias_k)
      v = torch.add_(v, bias_v)
    return (q, k, v, down_q, down_k, down_v, nq, nk, nv)
  def block_qkv_backward(self: __torch__.Kernels,
    dq2: Tensor,
    dk2: Tensor,
    dv2: Tensor,
    n: Tensor,
    wq: Tensor,
    wk: Tensor,
    wv: Tensor,
    aq: Tensor,
    bq: Tensor,
    ak: Tensor,
    bk: Tensor,
    av: Tensor,
    bv: Tensor,
    grad_aq: Tensor,
    grad_bq: Tensor,
    grad_ak: Tensor,
    grad_bk: Tensor,
    grad_av: Tensor,
    grad_bv: Tensor,
    down_q: Tensor,
    down_k: Tensor,
    down_v: Tensor,
    noise_q: Tensor,
    noise_k: Tensor,
    noise_v: Tensor,
    scaling: Tensor,
    input_gradient: Tensor) -> Tensor:
    s = float(scaling)
    t_q = torch.mm(dq2, bq)
    t_k = torch.mm(dk2, bk)
    t_v = torch.mm(dv2, bv)
    _2 = torch.addmm_(grad_bq, torch.t(dq2), down_q, beta=1, alpha=s)
    _3 = torch.addmm_(grad_bk, torch.t(dk2), down_k, beta=1, alpha=s)
    _4 = torch.addmm_(grad_bv, torch.t(dv2), down_v, beta=1, alpha=s)
    _5 = torch.addmm_(grad_aq, torch.t(t_q), self.dropped(n, noise_q), beta=1, alpha=s)
    _6 = torch.addmm_(grad_ak, torch.t(t_k), self.dropped(n, noise_k), beta=1, alpha=s)
    _7 = torch.addmm_(grad_av, torch.t(t_v), self.dropped(n, noise_v), beta=1, alpha=s)
    if bool(torch.gt(input_gradient, 0)):
      if torch.gt(torch.add(torch.add(torch.numel(noise_q), torch.numel(noise_k)), torch.numel(noise_v)), 0):
        dn = torch.mm(dq2, wq)
        dn = torch.addmm_(dn, dk2, wk, beta=1, alpha=1)
        dn = torch.addmm_(dn, dv2, wv, beta=1, alpha=1)
        dn = self.add_lora_input_gradient_(dn, t_q, aq, noise_q, s)
        dn = self.add_lora_input_gradient_(dn, t_k, ak, noise_k, s)
        dn = self.add_lora_input_gradient_(dn, t_v, av, noise_v, s)
      else:
        dn = torch.mm(torch.cat([t_q, t_k, t_v], 1), torch.mul(torch.cat([aq, ak, av]), s))
        dn = torch.addmm_(dn, dq2, wq, beta=1, alpha=1)
        dn = torch.addmm_(dn, dk2, wk, beta=1, alpha=1)
        dn = torch.addmm_(dn, dv2, wv, beta=1, alpha=1)
    else:
      dn = torch.empty([0])
    return dn
  def block_mlp_in(self: __torch__.Kernels,
    n: Tensor,
    wg: Tensor,
    wu: Tensor,
    ag: Tensor,
    bg: Tensor,
    au: Tensor,
    bu: Tensor,
    scaling: Tensor,
    dropout: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    s = float(scaling)
    p = float(dropout)
    if torch.gt(p, 0.):
      xg, ng = self.lora_input(n, ag, p)
      xu, nu = self.lora_input(n, au, p)
      down_g = torch.mm(xg, torch.t(ag))
      down_u = torch.mm(xu, torch.t(au))
    else:
      rank = torch.size(ag, 0)
      down = torch.mm(n, torch.t(torch.cat([ag, au])))
      down_g = torch.narrow(down, 1, 0, rank)
      down_u = torch.narrow(down, 1, rank, torch.size(au, 0))
      ng = torch.empty([0])
      nu = torch.empty([0])
    g = torch.addmm_(torch.mm(down_g, torch.t(torch.mul(bg, s))), n, torch.t(wg), beta=1, alpha=1)
    u = torch.addmm_(torch.mm(down_u, torch.t(torch.mul(bu, s))), n, torch.t(wu), beta=1, alpha=1)
    return (g, u, down_g, down_u, ng, nu)
  def block_mlp_in_backward(self: __torch__.Kernels,
    dg: Tensor,
    du: Tensor,
    n: Tensor,
    wg: Tensor,
    wu: Tensor,
    ag: Tensor,
    bg: Tensor,
    au: Tensor,
    bu: Tensor,
    grad_ag: Tensor,
    grad_bg: Tensor,
    grad_au: Tensor,
    grad_bu: Tensor,
    down_g: Tensor,
    down_u: Tensor,
    noise_g: Tensor,
    noise_u: Tensor,
    scaling: Tensor) -> Tensor:
    s = float(scaling)
    t_g = torch.mm(dg, bg)
    t_u = torch.mm(du, bu)
    _0 = torch.addmm_(grad_bg, torch.t(dg), down_g, beta=1, alpha=s)
    _1 = torch.addmm_(grad_bu, torch.t(du), down_u, beta=1, alpha=s)
    _2 = torch.addmm_(grad_ag, torch.t(t_g), self.dropped(n, noise_g), beta=1, alpha=s)
    _3 = torch.addmm_(grad_au, torch.t(t_u), self.dropped(n, noise_u), beta=1, alpha=s)
    if torch.gt(torch.add(torch.numel(noise_g), torch.numel(noise_u)), 0):
      dn = torch.addmm_(torch.mm(dg, wg), du, wu, beta=1, alpha=1)
      dn = self.add_lora_input_gradient_(dn, t_g, ag, noise_g, s)
      return self.add_lora_input_gradient_(dn, t_u, au, noise_u, s)
    dn = torch.mm(torch.cat([t_g, t_u], 1), torch.mul(torch.cat([ag, au]), s))
    dn = torch.addmm_(dn, dg, wg, beta=1, alpha=1)
    return torch.addmm_(dn, du, wu, beta=1, alpha=1)
  def block_output(self: __torch__.Kernels,
    x: Tensor,
    h: Tensor,
    w: Tensor,
    a: Tensor,
    b: Tensor,
    scaling: Tensor,
    dropout: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    s = float(scaling)
    xd, noise = self.lora_input(h, a, float(dropout))
    down = torch.mm(xd, torch.t(a))
    out = torch.addmm_(torch.addmm(x, h, torch.t(w)), down, torch.t(b), beta=1, alpha=s)
    return (out, down, noise)
  def block_output_backward(self: __torch__.Kernels,
    dout: Tensor,
    h: Tensor,
    w: Tensor,
    a: Tensor,
    b: Tensor,
    grad_a: Tensor,
    grad_b: Tensor,
    down: Tensor,
    noise: Tensor,
    scaling: Tensor) -> Tensor:
    s = float(scaling)
    t = torch.mm(dout, b)
    _0 = torch.addmm_(grad_b, torch.t(dout), down, beta=1, alpha=s)
    _1 = torch.addmm_(grad_a, torch.t(t), self.dropped(h, noise), beta=1, alpha=s)
    if torch.gt(torch.numel(noise), 0):
      return self.add_lora_input_gradient_(torch.mm(dout, w), t, a, noise, s)
    return torch.addmm_(torch.mm(t, torch.mul(a, s)), dout, w, beta=1, alpha=1)
  def rms_norm_forward(self: __torch__.Kernels,
    x: Tensor,
    w: Tensor,
    eps: Tensor) -> Tuple[Tensor, Tensor]:
    c = torch.size(x, -1)
    rstd = torch.rsqrt(torch.add(torch.div(torch.square(torch.linalg_vector_norm(x, 2, [-1], True)), c), float(eps)))
    return (torch.mul(torch.mul(x, rstd), w), rstd)
  def rms_norm_backward_(self: __torch__.Kernels,
    dx: Tensor,
    dy: Tensor,
    x: Tensor,
    w: Tensor,
    rstd: Tensor) -> Tensor:
    c = torch.size(x, -1)
    g = torch.mul(dy, w)
    dot = torch.sum(torch.mul(g, x), [-1], True)
    coefficient = torch.div(torch.mul(torch.pow(rstd, 3), dot), c)
    _0 = torch.addcmul_(dx, g, rstd)
    return torch.addcmul_(dx, x, coefficient, value=-1)
  def swiglu_backward(self: __torch__.Kernels,
    dh: Tensor,
    g: Tensor,
    u: Tensor) -> Tuple[Tensor, Tensor]:
    silu = torch.silu(g)
    return (torch.silu_backward(torch.mul(dh, u), g), torch.mul(dh, silu))
  def rotate_halves(self: __torch__.Kernels,
    x4: Tensor,
    cos: Tensor,
    sin: Tensor,
    sign: float) -> Tensor:
    t = torch.size(cos, 0)
    d = torch.size(cos, 1)
    half = torch.floordiv(d, 2)
    sin_half = torch.mul(torch.narrow(sin, 1, 0, half), sign)
    table = torch.view(torch.cat([torch.neg(sin_half), sin_half], 1), [1, t, 1, d])
    return torch.addcmul(torch.mul(x4, torch.view(cos, [1, t, 1, d])), torch.roll(x4, [half], [-1]), table)
  def heads_first(self: __torch__.Kernels,
    x4: Tensor,
    heads: int,
    copies: int) -> Tensor:
    b, t, kv_heads, d = torch.size(x4)
    if torch.gt(copies, 1):
      x4 = torch.reshape(torch.expand(torch.unsqueeze(x4, 3), [b, t, kv_heads, copies, d]), [b, t, heads, d])
    return torch.transpose(x4, 1, 2)
  def attention_inputs(self: __torch__.Kernels,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    cos: Tensor,
    sin: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    t = torch.size(cos, 0)
    d = torch.size(cos, 1)
    b = torch.floordiv(torch.size(q, 0), t)
    heads = torch.floordiv(torch.size(q, 1), d)
    kv_heads = torch.floordiv(torch.size(k, 1), d)
    group = torch.floordiv(heads, kv_heads)
    q4 = self.rotate_halves(torch.view(q, [b, t, heads, d]), cos, sin, 1.)
    k4 = self.rotate_halves(torch.view(k, [b, t, kv_heads, d]), cos, sin, 1.)
    v4 = torch.view(v, [b, t, kv_heads, d])
    return (self.heads_first(q4, heads, 1), self.heads_first(k4, heads, group), self.heads_first(v4, heads, group))
  def attention_forward(self: __torch__.Kernels,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    cos: Tensor,
    sin: Tensor) -> Tuple[Tensor, Tensor]:
    q4, k4, v4 = self.attention_inputs(q, k, v, cos, sin)
    out, lse = torch._scaled_dot_product_flash_attention_for_cpu(q4, k4, v4, 0., True)
    return (torch.reshape(torch.transpose(out, 1, 2), [torch.size(q, 0), torch.size(q, 1)]), lse)
  def attention_backward(self: __torch__.Kernels,
    dout: Tensor,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    out: Tensor,
    lse: Tensor,
    cos: Tensor,
    sin: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    t = torch.size(cos, 0)
    d = torch.size(cos, 1)
    rows = torch.size(q, 0)
    b = torch.floordiv(rows, t)
    heads = torch.floordiv(torch.size(q, 1), d)
    kv_heads = torch.floordiv(torch.size(k, 1), d)
    group = torch.floordiv(heads, kv_heads)
    q4, k4, v4 = self.attention_inputs(q, k, v, cos, sin)
    out4 = torch.transpose(torch.view(out, [b, t, heads, d]), 1, 2)
    dout4 = torch.transpose(torch.view(dout, [b, t, heads, d]), 1, 2)
    dq4, dk4, dv4 = torch._scaled_dot_product_flash_attention_for_cpu_backward(dout4, q4, k4, v4, out4, lse, 0., True)
    dq = self.rotate_halves(torch.transpose(dq4, 1, 2), cos, sin, -1.)
    dk = self.rotate_halves(torch.sum(torch.reshape(torch.transpose(dk4, 1, 2), [b, t, kv_heads, group, d]), [3]), cos, sin, -1.)
    dv = torch.sum(torch.reshape(torch.transpose(dv4, 1, 2), [b, t, kv_heads, group, d]), [3])
    return (torch.reshape(dq, [rows, torch.size(q, 1)]), torch.reshape(dk, [rows, torch.size(k, 1)]), torch.reshape(dv, [rows, torch.size(v, 1)]))
