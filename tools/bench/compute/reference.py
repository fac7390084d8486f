"""PyTorch CPU reference for the compute benchmark (tools/bench/compute/bench.ts runs it in the same run).

Times the training step ftune takes -- forward, next-token cross-entropy, backward, global-norm clipping at 1.0,
one AdamW update -- on
transformers' GPTNeoForCausalLM built from a config (random weights; nothing is downloaded), and numpy's
float32 matmul. Prints one JSON object on stdout.

  python reference.py train --size small|gpt-neo-125m --batch 8 --seq 128 --warmup 1 --steps 3 --threads 2
  python reference.py matmul --n 1024 --reps 10 --threads 2
  python reference.py train --size gpt-neo-125m --batch 1 --seq 256 --device cuda   (GPU reference)

Run with the golden venv (~/.cache/ftune/golden-venv/bin/python: torch, transformers 4.53.2, numpy).
"""

import argparse
import json
import os
import sys
import time


def set_threads(n: int) -> None:
    # numpy's BLAS reads these at import; torch is set explicitly below
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def gpt_neo_config(size: str):
    from transformers import GPTNeoConfig

    hidden, layers, heads = {"small": (256, 4, 4), "gpt-neo-125m": (768, 12, 12)}[size]
    return GPTNeoConfig(
        vocab_size=50257,
        max_position_embeddings=2048,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        attention_types=[[["global", "local"], layers // 2]],
        intermediate_size=None,  # 4 x hidden
        window_size=256,
        activation_function="gelu_new",
        embed_dropout=0.0,
        attention_dropout=0.0,
        resid_dropout=0.0,
        layer_norm_epsilon=1e-5,
    )


def train(args) -> dict:
    import torch
    from transformers import GPTNeoForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    model = GPTNeoForCausalLM(gpt_neo_config(args.size)).to(device)
    model.train()
    # fused: the Trainer's default optimizer (adamw_torch_fused) with torch >= 2.8
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0, fused=True)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 50257, (args.batch, args.seq), generator=g).to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times, losses = [], []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # as the Trainer (max_grad_norm 1.0) and ftune
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        sync()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    times.sort()
    step_s = times[len(times) // 2]
    return {
        "backend": "pytorch",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "size": args.size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "tokens": args.batch * args.seq,
        "step_s": step_s,
        "tokens_per_s": args.batch * args.seq / step_s,
        "loss_first": losses[0],
        "loss_last": losses[-1],
    }


def matmul(args) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((args.n, args.n), dtype=np.float32)
    b = rng.standard_normal((args.n, args.n), dtype=np.float32)
    a @ b
    times = []
    for _ in range(args.reps):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    times.sort()
    t = times[len(times) // 2]
    return {"backend": "numpy", "version": np.__version__, "threads": args.threads, "n": args.n, "seconds": t,
            "gflops": 2 * args.n**3 / t / 1e9}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "matmul"])
    p.add_argument("--size", default="small", choices=["small", "gpt-neo-125m"])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    args = p.parse_args()
    set_threads(args.threads)
    result = train(args) if args.mode == "train" else matmul(args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
