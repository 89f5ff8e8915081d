"""Plain PyTorch eager greedy decoding with a dense KV cache: the reference for `herd bench sampling`.

Written in the style of Meta's Llama 3 reference model (model.py): a dense [batch, max_seq, kv_heads, head_dim]
cache per layer written in place, repeat_kv for grouped-query attention, matmul-softmax-matmul attention, complex
RoPE. Random weights (speed depends on shapes only). Prints tokens/s the way `herd bench sampling --reference-rows`
does, so the two can be run side by side in one window:

  python3.11 -m pip install --no-index --no-deps --target /tmp/torch /opt/wheels/torch-2.13*.whl
  PYTHONPATH=/tmp/torch python3.11 scripts/bench-reference/torch_decode.py --config m5 --batch 1 --prompt-len 128 --new-tokens 64
"""
import argparse
import time

import torch
import torch.nn.functional as F

CONFIGS = {
    # dim, layers, heads, kv_heads, ffn, vocab
    "m5": (256, 4, 8, 2, 768, 4096),          # the 5.1M config of herd bench sampling / decoder
    "demo": (64, 2, 4, 2, 256, 128256),       # the demo recipe's shape with the full Llama 3.1 vocabulary
    "m100": (768, 12, 12, 4, 2048, 32768),    # the 100.7M training config (embeddings tied to the LM head)
}
TIED = {"m100"}                               # configs whose LM head is the embedding matrix


class Model(torch.nn.Module):
    def __init__(self, dim, layers, heads, kv_heads, ffn, vocab, max_batch, max_seq, theta=500000.0):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, dim // heads
        self.embed = torch.nn.Embedding(vocab, dim)
        self.layers = []
        for _ in range(layers):
            layer = dict(
                wq=torch.nn.Linear(dim, heads * self.hd, bias=False), wk=torch.nn.Linear(dim, kv_heads * self.hd, bias=False),
                wv=torch.nn.Linear(dim, kv_heads * self.hd, bias=False), wo=torch.nn.Linear(heads * self.hd, dim, bias=False),
                w1=torch.nn.Linear(dim, ffn, bias=False), w3=torch.nn.Linear(dim, ffn, bias=False),
                w2=torch.nn.Linear(ffn, dim, bias=False), n1=torch.ones(dim), n2=torch.ones(dim),
                ck=torch.zeros(max_batch, max_seq, kv_heads, self.hd), cv=torch.zeros(max_batch, max_seq, kv_heads, self.hd))
            self.layers.append(layer)
        self.norm = torch.ones(dim)
        self.out = torch.nn.Linear(dim, vocab, bias=False)
        freqs = 1.0 / (theta ** (torch.arange(0, self.hd, 2).float() / self.hd))
        angles = torch.outer(torch.arange(max_seq).float(), freqs)
        self.freqs_cis = torch.polar(torch.ones_like(angles), angles)

    @staticmethod
    def rms(x, w, eps=1e-5):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def rope(self, x, fc):
        xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(xc * fc.view(1, x.shape[1], 1, xc.shape[-1])).flatten(3)

    def forward(self, tokens, start):
        b, t = tokens.shape
        h = self.embed(tokens)
        fc = self.freqs_cis[start:start + t]
        mask = None
        if t > 1:
            mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
            mask = torch.hstack([torch.zeros(t, start), mask])
        groups = self.heads // self.kv_heads
        for L in self.layers:
            x = self.rms(h, L["n1"])
            q = L["wq"](x).view(b, t, self.heads, self.hd)
            k = L["wk"](x).view(b, t, self.kv_heads, self.hd)
            v = L["wv"](x).view(b, t, self.kv_heads, self.hd)
            q, k = self.rope(q, fc), self.rope(k, fc)
            L["ck"][:b, start:start + t] = k
            L["cv"][:b, start:start + t] = v
            keys = L["ck"][:b, :start + t].repeat_interleave(groups, dim=2).transpose(1, 2)
            values = L["cv"][:b, :start + t].repeat_interleave(groups, dim=2).transpose(1, 2)
            scores = torch.matmul(q.transpose(1, 2), keys.transpose(2, 3)) / (self.hd ** 0.5)
            if mask is not None:
                scores = scores + mask
            a = torch.matmul(F.softmax(scores.float(), dim=-1), values).transpose(1, 2).reshape(b, t, -1)
            h = h + L["wo"](a)
            x = self.rms(h, L["n2"])
            h = h + L["w2"](F.silu(L["w1"](x)) * L["w3"](x))
        return self.out(self.rms(h, self.norm))


@torch.inference_mode()
def generate(model, prompts, new_tokens):
    logits = model(prompts, 0)[:, -1]
    token = logits.argmax(-1, keepdim=True)
    pos = prompts.shape[1]
    for _ in range(new_tokens - 1):
        token = model(token, pos)[:, -1].argmax(-1, keepdim=True)
        pos += 1
    return token


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", choices=CONFIGS, default="m5")
    p.add_argument("--batch", type=int, nargs="+", default=[1, 32])
    p.add_argument("--prompt-len", type=int, default=128)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--k", type=int, default=1,
                   help="rows per distinct prompt (herd's K samples sharing a prompt; a dense cache prefills each row)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: this thread's CPU time (with --threads 1, robust on a shared machine)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dim, layers, heads, kvh, ffn, vocab = CONFIGS[a.config]
    model = Model(dim, layers, heads, kvh, ffn, vocab, max(a.batch), a.prompt_len + a.new_tokens)
    for b in a.batch:
        prompts = torch.randint(vocab, (max(1, b // a.k), a.prompt_len)).repeat_interleave(a.k, 0)[:b]
        generate(model, prompts, a.new_tokens)          # warm-up
        best = 0.0
        for _ in range(a.repeats):
            clock = time.thread_time if a.clock == "cpu" else time.perf_counter
            t0 = clock()
            generate(model, prompts, a.new_tokens)
            best = max(best, b * a.new_tokens / (clock() - t0))
        print(f"pytorch eager {a.config} batch {b:3d}{f' (K={a.k})' if a.k > 1 else ''}: {best:8.0f} tokens/{'s' if a.clock == 'wall' else 'cpu-second'} ({a.prompt_len}+{a.new_tokens} tokens)", flush=True)


if __name__ == "__main__":
    main()
