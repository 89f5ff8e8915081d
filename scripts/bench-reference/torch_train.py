"""Plain PyTorch eager training steps: the reference for `herd bench decoder` (training tokens/s).

The decoder of torch_decode.py (Meta's reference model's layout) without a cache: causal attention over the
whole row, cross-entropy on next tokens, backward, torch.optim.AdamW. Random weights and tokens; prints the
median step's tokens/s the way `herd bench decoder` reports its training steps:

  PYTHONPATH=/tmp/torch python3.11 scripts/bench-reference/torch_train.py --config m5 --batch 8 --seq-len 256

With --in-turn DIR it steps in turn with `herd bench decoder --in-turn DIR` (train_in_turn.sh runs both): it
waits for a byte on DIR/turn-out before each step and writes one to DIR/turn-in after it, until a 0 byte or the
end of the pipe, then prints every step's seconds.
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from torch_decode import CONFIGS, TIED, Model


def forward(model, tokens):
    b, t = tokens.shape
    h = model.embed(tokens)
    fc = model.freqs_cis[:t]
    mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
    groups = model.heads // model.kv_heads
    for L in model.layers:
        x = model.rms(h, L["n1"])
        q = model.rope(L["wq"](x).view(b, t, model.heads, model.hd), fc)
        k = model.rope(L["wk"](x).view(b, t, model.kv_heads, model.hd), fc)
        v = L["wv"](x).view(b, t, model.kv_heads, model.hd)
        keys = k.repeat_interleave(groups, dim=2).transpose(1, 2)
        values = v.repeat_interleave(groups, dim=2).transpose(1, 2)
        scores = torch.matmul(q.transpose(1, 2), keys.transpose(2, 3)) / (model.hd ** 0.5) + mask
        a = torch.matmul(F.softmax(scores.float(), dim=-1), values).transpose(1, 2).reshape(b, t, -1)
        h = h + L["wo"](a)
        x = model.rms(h, L["n2"])
        h = h + L["w2"](F.silu(L["w1"](x)) * L["w3"](x))
    return model.out(model.rms(h, model.norm))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", choices=CONFIGS, default="m5")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--in-turn", help="folder with the named pipes turn-out and turn-in (see above)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dim, layers, heads, kvh, ffn, vocab = CONFIGS[a.config]
    model = Model(dim, layers, heads, kvh, ffn, vocab, 1, a.seq_len)
    params = [model.embed.weight]
    if a.config in TIED:
        model.out.weight = model.embed.weight  # one matrix, one gradient, one optimizer state
    else:
        params.append(model.out.weight)
    for L in model.layers:
        L["n1"].requires_grad_(True)
        L["n2"].requires_grad_(True)
        params += [L[n].weight for n in ("wq", "wk", "wv", "wo", "w1", "w2", "w3")] + [L["n1"], L["n2"]]
    model.norm.requires_grad_(True)
    params.append(model.norm)
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.1)

    def step():
        tokens = torch.randint(vocab, (a.batch, a.seq_len + 1))
        t0 = time.perf_counter()
        logits = forward(model, tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab), tokens[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return time.perf_counter() - t0

    if a.in_turn:
        every = []
        with open(f"{a.in_turn}/turn-out", "rb") as theirs, open(f"{a.in_turn}/turn-in", "wb") as ours:
            while theirs.read(1) == b"\x01":
                every.append(step())
                ours.write(b"\x01")
                ours.flush()
        print("training steps (s, in turn, all):", " ".join(f"{t:.4f}" for t in every), flush=True)
        return
    times = []
    for i in range(a.steps + 2):
        t = step()
        if i >= 2:                           # two warm-up steps
            times.append(t)
    med = statistics.median(times)
    print(f"pytorch eager {a.config} training B={a.batch}xT={a.seq_len}: {a.batch * a.seq_len / med:8.0f} tokens/s "
          f"(median of {a.steps} steps, {med:.3f} s)", flush=True)


if __name__ == "__main__":
    main()
