"""One weak-to-strong experiment trained the way openai/weak-to-strong
trains, in PyTorch: the reference a user would run instead of w2s
(BenchmarkReferenceComparison runs it beside w2s on the same experiment).

    python reference_run.py DATA.json OUT.json

DATA.json (written by the benchmark) holds the experiment: the weak and
strong checkpoint folders (w2s's, which load in transformers), the token
ids and gold labels of halves A and B and of the test set exactly as w2s
encodes them, and the hyperparameters (per model: learning rate and
epochs; batch, warm-up fraction, weight decay, clipping, the head's input:
"last" real token or "mean" over tokens; the split seed).

The loop is the reference's train.py rewritten for these hyperparameters:
each epoch a fresh seeded shuffle, batches padded to their longest row
(the reference's dynamic padding), forward through GPT2Model, a bias-free
zero-initialised linear head, cross-entropy against soft targets (gold
one-hot, or the supervisor's probabilities), backward, global-norm
clipping, AdamW with decay on matrices only, linear warm-up then cosine
decay to zero. The supervisor is trained on gold A and labels B; the
student is trained on B with those soft labels, the ceiling on gold B; all
three are scored on the test set. It writes each stage's wall time and
the three test accuracies as JSON. Threads: torch.set_num_threads
($W2S_BENCH_THREADS or the number of CPUs).
"""
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F
from transformers import GPT2Model

torch.set_num_threads(int(os.environ.get("W2S_BENCH_THREADS", os.cpu_count())))


class Classifier(torch.nn.Module):
    def __init__(self, folder, classes, pool):
        super().__init__()
        self.body = GPT2Model.from_pretrained(folder)
        self.body.eval()  # dropout off, as in w2s
        self.head = torch.nn.Linear(self.body.config.n_embd, classes, bias=False)
        torch.nn.init.zeros_(self.head.weight)
        self.pool = pool

    def forward(self, ids, mask):
        h = self.body(input_ids=ids, attention_mask=mask).last_hidden_state
        if self.pool == "mean":
            m = mask.unsqueeze(-1).to(h.dtype)
            feats = (h * m).sum(1) / m.sum(1)
        else:
            last = mask.sum(1) - 1
            feats = h[torch.arange(h.shape[0]), last]
        return self.head(feats)


def pad(rows, eos):
    T = max(len(r) for r in rows)
    ids = torch.full((len(rows), T), eos, dtype=torch.long)
    mask = torch.zeros((len(rows), T), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


def train(model, rows, targets, hp, seed, eos):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "wte" not in n and "wpe" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "wte" not in n and "wpe" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["decay"]}, {"params": rest, "weight_decay": 0.0}], lr=hp["lr"])
    n, B = len(rows), hp["batch"]
    steps = math.ceil(hp["epochs"] * n / B)
    warmup = int(hp["warmup"] * steps)

    def lr_at(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (steps - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    order = []
    epoch = 0
    while len(order) < steps * B:
        perm = list(range(n))
        random.Random(seed * 1000 + epoch).shuffle(perm)
        order += perm
        epoch += 1
    model.train()
    model.body.eval()
    for step in range(steps):
        idx = order[step * B : (step + 1) * B]
        ids, mask = pad([rows[i] for i in idx], eos)
        logits = model(ids, mask)
        loss = -(torch.tensor([targets[i] for i in idx]) * F.log_softmax(logits, -1)).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), hp["clip"])
        opt.step()
        sched.step()
    return steps


@torch.no_grad()
def predict(model, rows, eos, batch=64):
    model.eval()
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out = [None] * len(rows)
    for s in range(0, len(rows), batch):
        idx = order[s : s + batch]
        ids, mask = pad([rows[i] for i in idx], eos)
        probs = F.softmax(model(ids, mask), -1).tolist()
        for j, i in enumerate(idx):
            out[i] = probs[j]
    return out


def accuracy(probs, gold):
    return sum(max(range(len(p)), key=p.__getitem__) == g for p, g in zip(probs, gold)) / len(gold)


def main():
    data_path, out_path = sys.argv[1], sys.argv[2]
    with open(data_path) as f:
        d = json.load(f)
    C, eos, pool, seed = d["classes"], d["eos"], d["pool"], d["seed"]
    common = {k: d[k] for k in ("batch", "warmup", "decay", "clip")}
    A, B, test = d["sets"]["A"], d["sets"]["B"], d["sets"]["test"]
    onehot = lambda ys: [[1.0 if k == y else 0.0 for k in range(C)] for y in ys]
    times, acc = {}, {}
    torch.manual_seed(seed)

    t = time.monotonic()
    weak = Classifier(d["weak"]["folder"], C, pool)
    train(weak, A["ids"], onehot(A["labels"]), dict(common, lr=d["weak"]["lr"], epochs=d["weak"]["epochs"]), seed, eos)
    times["supervisor"] = time.monotonic() - t

    t = time.monotonic()
    labels = predict(weak, B["ids"], eos)
    acc["weak"] = accuracy(predict(weak, test["ids"], eos), test["labels"])
    times["labels"] = time.monotonic() - t

    for name, targets in (("student", labels), ("ceiling", onehot(B["labels"]))):
        t = time.monotonic()
        m = Classifier(d["strong"]["folder"], C, pool)
        train(m, B["ids"], targets, dict(common, lr=d["strong"]["lr"], epochs=d["strong"]["epochs"]), seed, eos)
        acc[name] = accuracy(predict(m, test["ids"], eos), test["labels"])
        times[name] = time.monotonic() - t

    with open(out_path, "w") as f:
        json.dump({"seconds": times, "total_seconds": sum(times.values()), "accuracy": acc,
                   "torch": torch.__version__, "threads": torch.get_num_threads()}, f)


if __name__ == "__main__":
    main()
