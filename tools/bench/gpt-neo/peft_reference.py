"""PyTorch + peft beside ftune in tools/bench/gpt-neo/lora.ts: one training step's time and the process's peak
resident memory for one mode, on the shapes ftune measures. Prints one JSON object on stdout.

  full        every parameter trained (AdamW over all)
  lora        get_peft_model(LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0))
  lora+ckpt   the same with gradient_checkpointing_enable(use_reentrant=False), as the Trainer's
              gradient_checkpointing=True does on a peft model

A step is what ftune's is: forward, next-token cross-entropy over every position, backward, one AdamW update
(torch's fused AdamW, the Trainer's default) of what is trained, no clipping; the median of `--steps` after one
warm-up. The model is GPTNeoForCausalLM (eager attention, float32, CPU) built from the size's config with random
weights, or loaded with from_pretrained from `--folder` (the sharded folder ftune loads). Peak RSS is getrusage's
ru_maxrss of this process (the interpreter and torch included, as ftune's includes node and TensorFlow), taken
after the steps; then the forward pass alone (no_grad) is timed, and the resident memory once torch is imported and
once the model is built is reported beside it.

  python peft_reference.py lora+ckpt --size gpt-neo-125m --batch 1 --seq 256 --steps 3 --threads 2 [--folder DIR]

Run with the golden venv (tools/golden/setup-venv.sh: torch 2.15.0, transformers 4.53.2, peft 0.17.1, pinned).
"""

import argparse
import json
import os
import resource
import sys
import time

SIZES = {"small": (256, 4, 4), "gpt-neo-125m": (768, 12, 12), "gpt-neo-1.3b": (2048, 24, 16), "gpt-neo-2.7b": (2560, 32, 20)}


def rss_mib():
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)


def build_model(args):
    import torch
    from transformers import GPTNeoConfig, GPTNeoForCausalLM

    if args.folder:
        return GPTNeoForCausalLM.from_pretrained(args.folder, torch_dtype=torch.float32, attn_implementation="eager")
    hidden, layers, heads = SIZES[args.size]
    config = GPTNeoConfig(
        vocab_size=50257, max_position_embeddings=2048, hidden_size=hidden, num_layers=layers, num_heads=heads,
        attention_types=[[["global", "local"], layers // 2]], window_size=256, activation_function="gelu_new",
        embed_dropout=0.0, attention_dropout=0.0, resid_dropout=0.0, layer_norm_epsilon=1e-5,
    )
    torch.manual_seed(0)
    return GPTNeoForCausalLM._from_config(config, attn_implementation="eager")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["full", "lora", "lora+ckpt"])
    p.add_argument("--size", default="gpt-neo-125m", choices=sorted(SIZES))
    p.add_argument("--folder")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()

    import peft
    import torch
    import transformers

    torch.set_num_threads(args.threads)
    runtime_mib = rss_mib()
    model = build_model(args)
    model_mib = rss_mib()
    if args.mode != "full":
        from peft import LoraConfig, get_peft_model

        if args.mode == "lora+ckpt":
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    model.train()
    trainable = [q for q in model.parameters() if q.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0, fused=True)
    vocab = model.config.vocab_size
    ids = (torch.arange(args.batch * args.seq) * 7919 % vocab).reshape(args.batch, args.seq)  # ftune's ids
    times = []
    for step in range(1 + args.steps):
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
        if step > 0:
            times.append(time.perf_counter() - start)
    times.sort()
    peak_mib = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    forward = []
    with torch.no_grad():
        for _ in range(args.steps):
            start = time.perf_counter()
            model(input_ids=ids, labels=ids).loss.item()
            forward.append(time.perf_counter() - start)
    forward.sort()
    json.dump(
        {
            "mode": args.mode,
            "backend": f"torch {torch.__version__.split('+')[0]}",
            "stepMs": round(times[len(times) // 2] * 1000),
            "forwardMs": round(forward[len(forward) // 2] * 1000),
            "peakMiB": peak_mib,
            "runtimeMiB": runtime_mib,
            "modelMiB": model_mib,
            "trainable": sum(q.numel() for q in trainable),
            "total": sum(q.numel() for q in model.parameters()),
            "versions": {"transformers": transformers.__version__, "peft": peft.__version__},
            "threads": torch.get_num_threads(),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
