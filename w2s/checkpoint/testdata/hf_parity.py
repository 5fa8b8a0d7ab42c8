"""Parity with Hugging Face transformers, both ways (TestTransformersParity).

    python hf_parity.py make DIR
        Makes a random tiny GPT2LMHeadModel and GPT2ForSequenceClassification
        with transformers (every weight random, biases and LayerNorm gains
        included, so a mapping error shows), saves them with save_pretrained
        (safetensors) into DIR/lm and DIR/cls, and writes DIR/logits.json:
        the inputs, masks and the logits transformers computes.

    python hf_parity.py score DIR_LM DIR_CLS INPUTS_JSON
        Loads checkpoints written by w2s with from_pretrained and prints the
        logits transformers computes for the inputs of INPUTS_JSON as JSON.

Inputs are right-padded with the pad token (the end-of-text id, never
among the real tokens) and carry an attention mask, so transformers'
sequence classifier reads the last real token, as w2s does.
"""
import json
import sys

import torch
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel

VOCAB, PAD = 97, 96


def inputs():
    g = torch.Generator().manual_seed(7)
    lengths = [12, 5, 9, 1]
    T = 12
    ids = torch.full((len(lengths), T), PAD, dtype=torch.long)
    mask = torch.zeros((len(lengths), T), dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(0, PAD, (n,), generator=g)
        mask[b, :n] = 1
    return ids, mask


def logits(lm, cls, ids, mask):
    with torch.no_grad():
        return {
            "lm_logits": lm(input_ids=ids, attention_mask=mask).logits.tolist(),
            "cls_logits": cls(input_ids=ids, attention_mask=mask).logits.tolist(),
        }


def make(out):
    torch.manual_seed(3)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=16, n_embd=32, n_layer=2, n_head=4,
                     resid_pdrop=0, embd_pdrop=0, attn_pdrop=0, bos_token_id=PAD, eos_token_id=PAD,
                     pad_token_id=PAD, num_labels=3)
    lm = GPT2LMHeadModel(cfg).eval()
    cls = GPT2ForSequenceClassification(cfg).eval()
    for m in (lm, cls):
        with torch.no_grad():
            for name, p in m.named_parameters():
                p.copy_(torch.randn_like(p) * (0.1 if p.dim() == 1 else 0.2) + (1.0 if ".ln_" in name and name.endswith("weight") else 0.0))
    lm.save_pretrained(out + "/lm", safe_serialization=True)
    cls.save_pretrained(out + "/cls", safe_serialization=True)
    ids, mask = inputs()
    res = {"ids": ids.tolist(), "mask": mask.tolist()}
    res.update(logits(lm, cls, ids, mask))
    with open(out + "/logits.json", "w") as f:
        json.dump(res, f)


def score(dir_lm, dir_cls, inputs_json):
    with open(inputs_json) as f:
        inp = json.load(f)
    ids, mask = torch.tensor(inp["ids"]), torch.tensor(inp["mask"])
    lm = GPT2LMHeadModel.from_pretrained(dir_lm).eval()
    cls = GPT2ForSequenceClassification.from_pretrained(dir_cls).eval()
    print(json.dumps(logits(lm, cls, ids, mask)))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "score":
        score(*sys.argv[2:5])
    else:
        sys.exit("usage: hf_parity.py make DIR | score DIR_LM DIR_CLS INPUTS_JSON")
