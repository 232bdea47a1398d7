#!/usr/bin/python3
"""One pretraining step of the lab model in PyTorch on CPU, for the side by
side with core/lab/model's BenchmarkTrainStep (the same shape and the same
step: forward, masked mean cross-entropy, backward, clip_grad_norm_(1.0),
AdamW), float32, on the given number of threads.

    /usr/bin/python3 bench/lab/torch_step.py [--threads 2] [--steps 10]

Shape: vocab 512, context 256, width 64, 4 heads, 2 layers (tied head,
pre-LayerNorm, GELU tanh); 64 sequences of 120 tokens. Prints the torch
version, the threads and wall and CPU (user+sys) ms per step, the medians
of the timed steps after 3 warm-up steps.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

V, CTX, C, H, L = 512, 256, 64, 4, 2
B, T = 64, 120


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=-1)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(C // H)
        s = s.masked_fill(~torch.ones(t, t, dtype=torch.bool).tril(), float("-inf"))
        y = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, C)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(CTX, C)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.lnf = nn.LayerNorm(C)

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        return self.lnf(x) @ self.wte.weight.t()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = LM()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=1e-3)
    i = torch.arange(B * T)
    tokens = ((i * 7 + 3) % V).view(B, T)
    targets = ((i * 11 + 5) % V).view(B, T)
    mask = ((i * 5) % 7 != 3).float().view(B, T)

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(tokens)
        nll = F.cross_entropy(logits.view(-1, V), targets.view(-1), reduction="none")
        loss = (nll * mask.view(-1)).sum() / mask.sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    wall, cpu = [], []
    for _ in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    print("torch %s, %d threads: %.1f ms/step wall, %.1f ms/step CPU (median of %d)" % (
        torch.__version__, a.threads, statistics.median(wall), statistics.median(cpu), a.steps))


if __name__ == "__main__":
    main()
