"""Golden fixtures for libs/trainer: optimizer, schedules, clipping and decay groups as the real
transformers Trainer builds them (transformers 4.53.2, torch CPU, float32).

1. Decay groups: `Trainer.get_decay_parameter_names` on a tiny GPTNeoForCausalLM (2 layers), i.e. which
   parameter names get weight decay (tied lm_head appears once, as transformer.wte.weight).
2. Schedules: the learning rate of each update (LambdaLR: update k uses lambda(k - 1)) from
   `get_scheduler` for linear, cosine, constant and constant_with_warmup, N = 10 or 12, W = 0 or 3.
3. One optimizer run: a tiny module with a Linear (weight, bias) and a LayerNorm, two AdamW param groups
   (decay / no decay, weight_decay 0.1) exactly as `Trainer.create_optimizer` makes them, a linear schedule
   with warmup 2 over 6 updates, `clip_grad_norm_(params, 1.0)` before each step. The gradients are fixed
   random tensors (scaled so clipping engages on some steps). Records, per step, the pre-clip norm, the
   learning rate and every parameter after the update.

Writes libs/trainer/fixtures/trainer-golden.json.

Usage (from the repository root):
  tools/golden/setup-venv.sh && ~/.cache/ftune/golden-venv/bin/python tools/golden/trainer.py
"""

import json
import os

import torch
from transformers import GPTNeoConfig, GPTNeoForCausalLM, Trainer, TrainingArguments
from transformers.optimization import get_scheduler

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "libs", "trainer", "fixtures", "trainer-golden.json")


def decay_names():
    config = GPTNeoConfig(vocab_size=64, hidden_size=16, num_layers=2, num_heads=2,
                          attention_types=[[["global", "local"], 1]], max_position_embeddings=24, window_size=4)
    model = GPTNeoForCausalLM(config)
    args = TrainingArguments(output_dir="/tmp/ftune-golden-trainer", report_to=[], use_cpu=True)
    trainer = Trainer(model=model, args=args)
    decayed = set(trainer.get_decay_parameter_names(model))
    names = [n for n, _ in model.named_parameters()]
    return {"parameters": names, "decayed": [n for n in names if n in decayed]}


def schedules():
    out = []
    for kind in ["linear", "cosine", "constant", "constant_with_warmup"]:
        for total, warmup in [(10, 0), (12, 3)]:
            p = torch.nn.Parameter(torch.zeros(1))
            opt = torch.optim.AdamW([p], lr=2e-4)
            sched = get_scheduler(kind, opt, num_warmup_steps=warmup, num_training_steps=total)
            lrs = []
            for _ in range(total):
                lrs.append(sched.get_last_lr()[0])
                opt.step()
                sched.step()
            out.append({"type": kind, "baseLr": 2e-4, "totalSteps": total, "warmupSteps": warmup, "lrs": lrs})
    return out


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = torch.nn.Linear(3, 2)
        self.ln_f = torch.nn.LayerNorm(2)


def optimizer_run():
    torch.manual_seed(0)
    model = Tiny()
    with torch.no_grad():
        model.ln_f.weight.uniform_(0.5, 1.5)
        model.ln_f.bias.uniform_(-0.5, 0.5)
    names = [n for n, _ in model.named_parameters()]
    initial = {n: p.detach().clone().tolist() for n, p in model.named_parameters()}
    args = TrainingArguments(output_dir="/tmp/ftune-golden-trainer", report_to=[], use_cpu=True,
                             learning_rate=1e-2, weight_decay=0.1, warmup_steps=2, max_steps=6)
    trainer = Trainer(model=model, args=args)
    opt = trainer.create_optimizer()
    sched = get_scheduler("linear", opt, num_warmup_steps=2, num_training_steps=6)
    steps = []
    g = torch.Generator().manual_seed(1)
    for k in range(6):
        grads = {}
        for n, p in model.named_parameters():
            scale = 2.0 if k % 2 == 0 else 0.1
            p.grad = torch.randn(p.shape, generator=g) * scale
            grads[n] = p.grad.clone().tolist()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        lr = sched.get_last_lr()[0]
        opt.step()
        sched.step()
        opt.zero_grad()
        steps.append({"grads": grads, "gradNorm": norm, "lr": lr,
                      "params": {n: p.detach().clone().tolist() for n, p in model.named_parameters()}})
    groups = [{"weightDecay": grp["weight_decay"], "names": [names[[id(q) for q in model.parameters()].index(id(p))]
                                                            for p in grp["params"]]} for grp in opt.param_groups]
    return {"initial": initial, "groups": groups, "steps": steps, "weightDecay": 0.1, "maxGradNorm": 1.0}


def main():
    data = {"versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
            "decay": decay_names(), "schedules": schedules(), "optimizer": optimizer_run()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
