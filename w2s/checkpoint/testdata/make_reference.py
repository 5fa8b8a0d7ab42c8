#!/usr/bin/python3
"""Writes the tiny GPT-2 checkpoints in this folder and the logits an
independent implementation computes from them.

How the vectors were made (Debian 12):
    apt-get install python3-torch      # PyTorch 1.13, no transformers needed
    /usr/bin/python3 w2s/checkpoint/testdata/make_reference.py

The model below is written from the GPT-2 paper and Hugging Face's
modeling_gpt2.py conventions (Conv1D weights stored [in, out], fused c_attn,
tanh GELU, pre-LayerNorm, tied LM head, classification on the last real
token); it shares no code with the Go implementation. The safetensors files
are written by hand here, also independently of the Go writer.

Outputs:
    tiny-gpt2/config.json, tiny-gpt2/model.safetensors        (GPT2LMHeadModel)
    tiny-gpt2-cls/config.json, tiny-gpt2-cls/model.safetensors (GPT2ForSequenceClassification, 3 labels)
    reference.json: inputs, masks, LM logits and classifier logits.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CFG = dict(vocab_size=96, n_positions=16, n_embd=32, n_layer=2, n_head=4, layer_norm_epsilon=1e-5)
NUM_LABELS = 3


def make_weights(seed):
    g = torch.Generator().manual_seed(seed)
    d, V, P, L = CFG["n_embd"], CFG["vocab_size"], CFG["n_positions"], CFG["n_layer"]

    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=g) * std

    w = {"wte.weight": rnd(V, d), "wpe.weight": rnd(P, d)}
    for i in range(L):
        p = f"h.{i}."
        # Non-trivial gains and biases everywhere, so a mapping error shows.
        w[p + "ln_1.weight"] = 1 + rnd(d, std=0.1)
        w[p + "ln_1.bias"] = rnd(d, std=0.1)
        w[p + "attn.c_attn.weight"] = rnd(d, 3 * d)
        w[p + "attn.c_attn.bias"] = rnd(3 * d, std=0.1)
        w[p + "attn.c_proj.weight"] = rnd(d, d)
        w[p + "attn.c_proj.bias"] = rnd(d, std=0.1)
        w[p + "ln_2.weight"] = 1 + rnd(d, std=0.1)
        w[p + "ln_2.bias"] = rnd(d, std=0.1)
        w[p + "mlp.c_fc.weight"] = rnd(d, 4 * d)
        w[p + "mlp.c_fc.bias"] = rnd(4 * d, std=0.1)
        w[p + "mlp.c_proj.weight"] = rnd(4 * d, d)
        w[p + "mlp.c_proj.bias"] = rnd(d, std=0.1)
        # The causal-mask buffer old GPT-2 checkpoints carry: loaders skip it.
        w[p + "attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)
    w["ln_f.weight"] = 1 + rnd(d, std=0.1)
    w["ln_f.bias"] = rnd(d, std=0.1)
    return w, g


def hidden_states(w, ids, mask):
    B, T = ids.shape
    d, H = CFG["n_embd"], CFG["n_head"]
    dh = d // H
    eps = CFG["layer_norm_epsilon"]
    x = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(T)][None]
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None] & mask.bool()[:, None, None, :]
    for i in range(CFG["n_layer"]):
        p = f"h.{i}."
        h = F.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(d, dim=-1)
        q, k, v = (t.view(B, T, H, dh).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        att = att.masked_fill(~allowed, torch.finfo(att.dtype).min)
        y = att.softmax(-1) @ v
        y = y.transpose(1, 2).reshape(B, T, d)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = F.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = F.gelu(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    return F.layer_norm(x, (d,), w["ln_f.weight"], w["ln_f.bias"], eps)


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous().float()
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def write_config(folder, extra):
    cfg = dict(CFG, model_type="gpt2", activation_function="gelu_new", n_inner=None,
               resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, initializer_range=0.02,
               bos_token_id=95, eos_token_id=95, **extra)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def main():
    torch.set_default_dtype(torch.float32)
    w, g = make_weights(1234)
    score = torch.randn(NUM_LABELS, CFG["n_embd"], generator=g) * 0.3  # nn.Linear [out, in]

    lm_dir = os.path.join(HERE, "tiny-gpt2")
    cls_dir = os.path.join(HERE, "tiny-gpt2-cls")
    os.makedirs(lm_dir, exist_ok=True)
    os.makedirs(cls_dir, exist_ok=True)
    # The LM checkpoint uses bare names (as openai-community/gpt2 does); the
    # classifier uses transformers' "transformer." prefix and a score head.
    write_safetensors(os.path.join(lm_dir, "model.safetensors"), w)
    write_config(lm_dir, dict(architectures=["GPT2LMHeadModel"]))
    cls_w = {"transformer." + k: v for k, v in w.items() if not k.endswith(".attn.bias")}
    cls_w["score.weight"] = score
    write_safetensors(os.path.join(cls_dir, "model.safetensors"), cls_w)
    write_config(cls_dir, dict(architectures=["GPT2ForSequenceClassification"],
                               id2label={str(i): f"LABEL_{i}" for i in range(NUM_LABELS)},
                               pad_token_id=95))

    # Three sequences of length 10: full, right-padded, left-padded.
    T = 10
    ids = torch.randint(0, CFG["vocab_size"], (3, T), generator=g)
    mask = torch.ones(3, T, dtype=torch.long)
    mask[1, 7:] = 0
    mask[2, :3] = 0
    ids[1, 7:] = 0  # token 0 in padding: the head must not look for it
    ids[2, :3] = 0
    with torch.no_grad():
        h = hidden_states(w, ids, mask)
        lm_logits = h @ w["wte.weight"].T
        last = torch.tensor([int(torch.nonzero(m).max()) for m in mask])
        cls_logits = h[torch.arange(3), last] @ score.T
    ref = {
        "ids": ids.tolist(),
        "mask": mask.tolist(),
        # Right padding only: under left padding GPT-2's positions shift, and
        # the LM logits of padded positions are meaningless.
        "lm_rows": [0, 1],
        "lm_logits": lm_logits.tolist(),
        "cls_logits": cls_logits.tolist(),
        "torch_version": torch.__version__,
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    main()
