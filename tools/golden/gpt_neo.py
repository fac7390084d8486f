"""Golden fixtures for libs/model-gpt-neo: the real transformers GPT-Neo on a tiny random model.

Builds a GPTNeoForCausalLM (transformers 4.53.2, eager attention, CPU) small enough to commit: vocab 64,
hidden 16, 2 heads, 3 layers (global, local, local), window 4, 24 positions. Texts are 12 tokens, longer than
the window, so the local layers' sliding window matters. Weights are drawn wider than HF's N(0, 0.02) init
(and LayerNorm/bias values randomised) so that masks, scaling and layout mistakes show up in the numbers.

For a right-padded and a left-padded batch (left: position ids from the mask, as generation builds them) it
records logits, the mean next-token loss over labels != -100, and gradients of that loss for a few parameters.

Then the round trip: `npx tsx tools/golden/gpt_neo_roundtrip.ts` loads the saved folder with ftune, saves it
again, also saves a freshly initialised ftune model (with GPT-2 tokenizer files), and writes ftune's logits for
both; this script loads both ftune-written folders with GPTNeoForCausalLM.from_pretrained (and the tokenizer
with AutoTokenizer), compares logits, and records the result.

Writes (libs/model-gpt-neo/fixtures/gpt-neo/):
  tiny/                 config.json, generation_config.json, model.safetensors (save_pretrained)
  golden.safetensors    inputs, logits, losses, gradients (HF layout: Linear weights [out, in])
  roundtrip.json        result of the ftune → transformers round trip
and libs/safetensors/fixtures/dtypes.safetensors, the same small tensor as F32, F16, BF16, I64
(safetensors.torch.save_file), for the safetensors reader.

Usage (from the repository root):
  tools/golden/setup-venv.sh && ~/.cache/ftune/golden-venv/bin/python tools/golden/gpt_neo.py
"""

import json
import os
import shutil
import subprocess
import tempfile

import torch
import transformers
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoTokenizer, GPTNeoConfig, GPTNeoForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "libs", "model-gpt-neo", "fixtures", "gpt-neo")
SAFETENSORS_OUT = os.path.join(ROOT, "libs", "safetensors", "fixtures")
TINY = os.path.join(OUT, "tiny")

GRAD_PARAMS = [
    "transformer.wte.weight",
    "transformer.wpe.weight",
    "transformer.h.1.attn.attention.q_proj.weight",
    "transformer.h.2.ln_1.weight",
    "transformer.h.0.attn.attention.out_proj.bias",
    "transformer.h.2.mlp.c_fc.weight",
]


def build_model():
    torch.manual_seed(0)
    config = GPTNeoConfig(
        vocab_size=64,
        max_position_embeddings=24,
        hidden_size=16,
        num_layers=3,
        attention_types=[[["global", "local"], 1], [["local"], 1]],
        num_heads=2,
        window_size=4,
        bos_token_id=63,
        eos_token_id=63,
    )
    model = GPTNeoForCausalLM._from_config(config, attn_implementation="eager")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.eval()
    return model


def make_batches():
    g = torch.Generator().manual_seed(1)
    T = 12
    lengths = [12, 9, 5]
    rows = [torch.randint(0, 63, (n,), generator=g) for n in lengths]
    batches = {}
    for side in ["right", "left"]:
        ids = torch.full((3, T), 63, dtype=torch.long)  # pad = eos, as GPT-2 setups do
        mask = torch.zeros((3, T), dtype=torch.long)
        for b, r in enumerate(rows):
            if side == "right":
                ids[b, : len(r)] = r
                mask[b, : len(r)] = 1
            else:
                ids[b, T - len(r):] = r
                mask[b, T - len(r):] = 1
        labels = ids.masked_fill(mask == 0, -100)
        labels[1, (T - 9 if side == "left" else 0): (T - 9 if side == "left" else 0) + 3] = -100  # a prompt, not trained
        batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
        if side == "left":
            pos = mask.cumsum(-1) - 1
            batch["position_ids"] = pos.masked_fill(mask == 0, 1)
        batches[side] = batch
    return batches


def run(model, batch):
    model.zero_grad()
    out = model(**batch)
    out.loss.backward()
    params = dict(model.named_parameters())
    grads = {n: params[n].grad.detach().clone() for n in GRAD_PARAMS}
    return out.logits.detach(), out.loss.detach(), grads


def golden():
    os.makedirs(OUT, exist_ok=True)
    model = build_model()
    shutil.rmtree(TINY, ignore_errors=True)
    model.save_pretrained(TINY)
    with safe_open(os.path.join(TINY, "model.safetensors"), "pt") as f:
        saved_keys = sorted(f.keys())
    tensors = {}
    for side, batch in make_batches().items():
        logits, loss, grads = run(model, batch)
        for k, v in batch.items():
            tensors[f"{side}.{k}"] = v.to(torch.int32)
        tensors[f"{side}.logits"] = logits.float()
        tensors[f"{side}.loss"] = loss.reshape(1).float()
        for n, g in grads.items():
            tensors[f"{side}.grad.{n}"] = g.float()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "golden.safetensors"), metadata={"format": "pt", "transformers": transformers.__version__})
    x = torch.tensor([[1.0, -2.5, 3.140625], [0.0, 65504.0, -1e-3]])
    save_file(
        {"f32": x, "f16": x.half(), "bf16": x.bfloat16(), "i64": torch.tensor([[7, -3], [2**31 - 1, -(2**31)]])},
        os.path.join(SAFETENSORS_OUT, "dtypes.safetensors"),
    )
    return model, saved_keys


def compare(folder, logits_file, key_prefix, input_ids, position_ids=None):
    model, info = GPTNeoForCausalLM.from_pretrained(folder, attn_implementation="eager", output_loading_info=True)
    model.eval()
    with safe_open(logits_file, "pt") as f:
        theirs = f.get_tensor(f"{key_prefix}.logits")
    with torch.no_grad():
        ours = model(input_ids=input_ids, position_ids=position_ids).logits
    diff = (ours - theirs).abs().max().item()
    scale = theirs.abs().max().item()
    return {
        "folder_files": sorted(os.listdir(folder)),
        "missing_keys": sorted(info["missing_keys"]),
        "unexpected_keys": sorted(info["unexpected_keys"]),
        "max_abs_logit_diff": diff,
        "max_abs_logit": scale,
        "relative": diff / scale,
    }


def roundtrip():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npx", "tsx", "tools/golden/gpt_neo_roundtrip.ts", TINY, tmp], cwd=ROOT, check=True)
        with safe_open(os.path.join(tmp, "ftune-logits.safetensors"), "pt") as f:
            tiny_ids = f.get_tensor("resaved.input_ids").long()
            random_ids = f.get_tensor("random.input_ids").long()
        result = {
            "transformers": transformers.__version__,
            "how": "ftune loadModel(tiny) → saveModel(resaved); ftune createModel(seed 1) → saveModel(random); "
            "transformers from_pretrained on both; logits compared with ftune's on the same ids",
            "resaved": compare(os.path.join(tmp, "resaved"), os.path.join(tmp, "ftune-logits.safetensors"), "resaved", tiny_ids),
            "random": compare(os.path.join(tmp, "random"), os.path.join(tmp, "ftune-logits.safetensors"), "random", random_ids),
        }
        tok = AutoTokenizer.from_pretrained(os.path.join(tmp, "random"))
        result["random"]["tokenizer_class"] = type(tok).__name__
        result["random"]["tokenizer_ids_hello_world"] = tok("Hello world")["input_ids"]
    return result


def main():
    model, saved_keys = golden()
    result = roundtrip()
    result["save_pretrained_keys_include_lm_head"] = "lm_head.weight" in saved_keys
    for part in ["resaved", "random"]:
        r = result[part]
        assert not r["missing_keys"] and not r["unexpected_keys"], r
        assert r["relative"] < 1e-5, r
    with open(os.path.join(OUT, "roundtrip.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
