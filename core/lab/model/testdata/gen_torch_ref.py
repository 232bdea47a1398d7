#!/usr/bin/python3
"""Writes tiny_torch_ref.json: what PyTorch computes for the tiny model in
tiny_input.json (weights, batch, a given dlogits, an optimiser setting), in
float64, so that core/lab/model's TestAgreesWithTorch can compare every
number the Go code produces.

The architecture is written out here from its definition, independently of
the Go code: token + learned position embeddings; per block
x += proj(attn(LN1(x))), x += W2·gelu_tanh(W1·LN2(x) + b1) + b2 with causal
multi-head attention; a final LayerNorm; logits = LNf(x)·wteᵀ (the head is
tied to the token embedding). Loss: masked mean cross-entropy.

Run from anywhere with Debian's torch: /usr/bin/python3 gen_torch_ref.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def forward(p, cfg, tokens):
    B, T = tokens.shape
    C, H, L = cfg["Width"], cfg["Heads"], cfg["Layers"]
    D = C // H
    x = p["wte"][tokens] + p["wpe"][:T].unsqueeze(0)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(L):
        g = lambda n: p["h.%d.%s" % (l, n)]
        h = F.layer_norm(x, (C,), g("ln1.w"), g("ln1.b"), eps=1e-5)
        qkv = F.linear(h, g("attn.qkv.w"), g("attn.qkv.b"))
        q, k, v = qkv.split(C, dim=-1)
        q = q.reshape(B, T, H, D).transpose(1, 2)
        k = k.reshape(B, T, H, D).transpose(1, 2)
        v = v.reshape(B, T, H, D).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        scores = scores.masked_fill(~causal, float("-inf"))
        y = scores.softmax(dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, C)
        x = x + F.linear(y, g("attn.proj.w"), g("attn.proj.b"))
        h = F.layer_norm(x, (C,), g("ln2.w"), g("ln2.b"), eps=1e-5)
        h = F.gelu(F.linear(h, g("mlp.fc.w"), g("mlp.fc.b")), approximate="tanh")
        x = x + F.linear(h, g("mlp.proj.w"), g("mlp.proj.b"))
    x = F.layer_norm(x, (C,), p["lnf.w"], p["lnf.b"], eps=1e-5)
    return x @ p["wte"].t()


def masked_ce(logits, targets, mask):
    V = logits.shape[-1]
    nll = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none")
    return (nll * mask.reshape(-1)).sum() / mask.sum()


def flat(t):
    return t.detach().reshape(-1).tolist()


def main():
    with open(os.path.join(HERE, "tiny_input.json")) as f:
        inp = json.load(f)
    dt = torch.float64
    cfg, B, T = inp["config"], inp["B"], inp["T"]
    order = inp["order"]

    def fresh():
        return {n: torch.tensor(inp["params"][n], dtype=dt).reshape(inp["shapes"][n]).requires_grad_(True) for n in order}

    tokens = torch.tensor(inp["tokens"]).reshape(B, T)
    targets = torch.tensor(inp["targets"]).reshape(B, T)
    mask = torch.tensor(inp["mask"], dtype=dt).reshape(B, T)
    given = torch.tensor(inp["dlogits"], dtype=dt).reshape(B, T, cfg["Vocab"])
    out = {"torch": torch.__version__, "dtype": "float64"}

    p = fresh()
    logits = forward(p, cfg, tokens)
    loss = masked_ce(logits, targets, mask)
    loss.backward()
    out["logits"] = flat(logits)
    out["loss"] = loss.item()
    out["grads"] = {n: flat(p[n].grad) for n in order}

    p = fresh()
    forward(p, cfg, tokens).backward(given)
    out["given_grads"] = {n: flat(p[n].grad) for n in order}

    # clip_grad_norm_ then torch.optim.AdamW; weight decay on the tensors the
    # input marks (matrices), none on biases and LayerNorm gains.
    p = fresh()
    decay = [p[n] for n in order if inp["decay"][n]]
    rest = [p[n] for n in order if not inp["decay"][n]]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": inp["weight_decay"]}, {"params": rest, "weight_decay": 0.0}],
        lr=inp["lr"], betas=(inp["beta1"], inp["beta2"]), eps=inp["eps"], foreach=False)
    out["norms"], out["losses"] = [], []
    for _ in range(inp["steps"]):
        opt.zero_grad()
        loss = masked_ce(forward(p, cfg, tokens), targets, mask)
        loss.backward()
        out["losses"].append(loss.item())
        out["norms"].append(torch.nn.utils.clip_grad_norm_([p[n] for n in order], inp["max_norm"]).item())
        opt.step()
    out["params_after"] = {n: flat(p[n]) for n in order}

    with open(os.path.join(HERE, "tiny_torch_ref.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("torch %s: loss %.17g, clip norms %s" % (torch.__version__, out["loss"], out["norms"]))


if __name__ == "__main__":
    main()
