"""The PyTorch reference for w2s's speed table (BenchmarkSpeedTable).

Runs the model of w2s/model in PyTorch on the CPU — GPT-2 architecture:
learned positions, pre-LayerNorm blocks, causal attention scaled by
1/sqrt(d_head), tanh GELU, 4x MLP, final LayerNorm, LM head tied to the
token embedding — at the same shapes, in float32, on the same number of
threads, and measures one thing per process, so the caller can read the
process's peak resident memory:

    python bench_torch.py train  VOCAB LAYERS WIDTH HEADS BATCH CONTEXT STEPS
    python bench_torch.py infer  VOCAB LAYERS WIDTH HEADS BATCH CONTEXT STEPS
    python bench_torch.py matmul N REPEATS
    python bench_torch.py matmul-bf16 N REPEATS

A training step is what w2s/train does: forward, next-token cross-entropy,
backward, global-norm clipping to 1, AdamW (lr 1e-4, decay 0.1). Inference
is the forward pass to LM logits under torch.no_grad(). Batches are the
same fixed token pattern as the Go benchmarks. The first step (warm-up) is
not timed. It prints one JSON line: tokens/s (or GFLOP/s), seconds per step
and the warm-up time.

Threads: torch.set_num_threads($W2S_BENCH_THREADS or the number of CPUs).
Device: $W2S_BENCH_DEVICE (default cpu; "cuda" runs eager float32 on the
GPU, timing with torch.cuda.synchronize; with $W2S_BENCH_TF32=1 matrix
products may use TF32, as XLA's GPU backend does by default).
Needs torch (kernel/setup --torch installs it into the project's venv).
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, causal):
        B, T, d = x.shape
        h = self.ln_1(x)
        q, k, v = (l(h).view(B, T, self.heads, d // self.heads).transpose(1, 2) for l in (self.q, self.k, self.v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        att = att.masked_fill(~causal[:T, :T], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, d)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, layers, d, heads, context):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(context, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        self.register_buffer("causal", torch.tril(torch.ones(context, context, dtype=torch.bool)))
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
        for b in self.h:
            x = b(x, self.causal)
        return self.ln_f(x) @ self.wte.weight.T


def batch(vocab, B, T, device):
    i = torch.arange(B * T, dtype=torch.int64)
    return (i * 7919 % vocab).view(B, T).to(device), ((i * 7919 + 13) % vocab).view(B, T).to(device)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def main():
    torch.set_num_threads(int(os.environ.get("W2S_BENCH_THREADS", os.cpu_count())))
    torch.manual_seed(1)
    device = os.environ.get("W2S_BENCH_DEVICE", "cpu")
    tf32 = os.environ.get("W2S_BENCH_TF32") == "1"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    mode = sys.argv[1]
    out = {"impl": "torch", "mode": mode, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": device, "tf32": tf32}
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name()
    if mode in ("matmul", "matmul-bf16"):
        n, reps = int(sys.argv[2]), int(sys.argv[3])
        a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        if mode == "matmul-bf16":
            a, b = a.bfloat16(), b.bfloat16()
        t0 = time.perf_counter()
        a @ b
        sync(device)
        out["warmup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        sync(device)
        dt = (time.perf_counter() - t0) / reps
        out.update(n=n, seconds=dt, gflops=2 * n**3 / dt / 1e9)
        print(json.dumps(out))
        return
    vocab, layers, d, heads, B, T, steps = map(int, sys.argv[2:9])
    model = GPT(vocab, layers, d, heads, T).to(device)
    ids, tg = batch(vocab, B, T, device)
    if mode == "train":
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith(("wte", "wpe"))]
        rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and not n.startswith(("wte", "wpe")))]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0}], lr=1e-4)

        def step():
            loss = F.cross_entropy(model(ids).view(-1, vocab), tg.view(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss.item()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                return model(ids)[0, 0, 0].item()

    t0 = time.perf_counter()
    step()
    sync(device)
    out["warmup_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    dt = (time.perf_counter() - t0) / steps
    out.update(seconds=dt, tokens_per_s=B * T / dt)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
