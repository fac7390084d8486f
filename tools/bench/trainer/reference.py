"""PyTorch CPU reference for the trainer benchmark (tools/bench/trainer/bench.ts runs it in the same run).

Times one optimizer step as the Hugging Face Trainer takes it -- clip_grad_norm_(params, 1.0), then
torch.optim.AdamW over two parameter groups (decay 0.01 / none) -- on parameters shaped like a GPT-Neo preset,
with random gradients. Both torch variants the Trainer uses: the default (adamw_torch) and fused=True
(adamw_torch_fused, the default with torch >= 2.8). Prints one JSON object on stdout.

  python reference.py --size small|gpt-neo-125m --steps 5 --threads 2
"""

import argparse
import json
import time

import torch
from transformers import GPTNeoConfig, GPTNeoForCausalLM, Trainer, TrainingArguments


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", default="small")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    hidden, layers, heads = {"small": (256, 4, 4), "gpt-neo-125m": (768, 12, 12)}[a.size]
    config = GPTNeoConfig(vocab_size=50257, hidden_size=hidden, num_layers=layers, num_heads=heads,
                          attention_types=[[["global", "local"], layers // 2]], max_position_embeddings=2048)
    model = GPTNeoForCausalLM(config)
    params = list(model.parameters())
    n = sum(x.numel() for x in params)
    args = TrainingArguments(output_dir="/tmp/ftune-bench-trainer", report_to=[], use_cpu=True, weight_decay=0.01)
    decay = set(Trainer(model=model, args=args).get_decay_parameter_names(model))
    named = list(model.named_parameters())
    groups = [{"params": [q for k, q in named if k in decay], "weight_decay": 0.01},
              {"params": [q for k, q in named if k not in decay], "weight_decay": 0.0}]
    out = {"size": a.size, "parameters": n, "threads": a.threads, "torch": torch.__version__}
    for name, kwargs in [("torch_adamw", {}), ("torch_adamw_fused", {"fused": True})]:
        opt = torch.optim.AdamW(groups, lr=1e-4, **kwargs)
        for q in params:
            q.grad = torch.randn_like(q)
        times = []
        for i in range(a.steps + 1):
            t = time.perf_counter()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            if i > 0:  # the first step allocates the moments
                times.append(time.perf_counter() - t)
        out[name + "_ms"] = 1000 * sorted(times)[len(times) // 2]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
