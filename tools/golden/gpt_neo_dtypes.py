"""Golden fixtures for loading 16-bit, sharded GPT-Neo folders: the tiny model of gpt_neo.py saved by transformers
4.53.2 in float16 and in bfloat16, split into shards (save_pretrained max_shard_size 8KB, so several shards and a
model.safetensors.index.json), and a peft 0.17.1 LoRA adapter saved in bfloat16.

The reference logits are transformers' on the same dtype-rounded weights: each folder is loaded back with
from_pretrained(torch_dtype=float32), which widens every 16-bit value exactly, and run in float32 (eager, CPU) on
the right-padded batch of gpt_neo.py. That is what ftune computes (it widens per tensor and trains in float32), so
the comparison can be as tight as the float32 golden's. The logits of the float32 tiny model are recorded too, so a
test can see that the rounding moved them (a loader that ignored the 16-bit files would not match).

Writes (libs/model-gpt-neo/fixtures/gpt-neo-dtypes/):
  float16/                config.json, model-0000N-of-0000M.safetensors (F16), model.safetensors.index.json
  bfloat16/               the same in BF16
  adapter-bfloat16/       adapter_config.json, adapter_model.safetensors (BF16 lora_A/lora_B on q_proj, v_proj)
                          for the bfloat16 base (base_model_name_or_path relative to this folder)
  golden.safetensors      float32.logits, float16.logits, bfloat16.logits, bfloat16-adapter.logits
                          (inputs: ../gpt-neo/golden.safetensors, right.*)

Usage (from the repository root, after gpt_neo.py):
  tools/golden/setup-venv.sh && ~/.cache/ftune/golden-venv/bin/python tools/golden/gpt_neo_dtypes.py
"""

import json
import os
import shutil

import peft
import torch
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import GPTNeoForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GPT_NEO = os.path.join(ROOT, "libs", "model-gpt-neo", "fixtures", "gpt-neo")
TINY = os.path.join(GPT_NEO, "tiny")
OUT = os.path.join(ROOT, "libs", "model-gpt-neo", "fixtures", "gpt-neo-dtypes")
DTYPES = {"float16": (torch.float16, "F16"), "bfloat16": (torch.bfloat16, "BF16")}


def right_batch():
    with safe_open(os.path.join(GPT_NEO, "golden.safetensors"), "pt") as f:
        return {k: f.get_tensor(f"right.{k}").long() for k in ["input_ids", "attention_mask"]}


def float32_logits(model, batch):
    model.eval()
    with torch.no_grad():
        return model(**batch).logits.float()


def file_dtypes(folder):
    seen = set()
    for name in os.listdir(folder):
        if name.endswith(".safetensors"):
            with open(os.path.join(folder, name), "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                header = json.loads(f.read(n))
            seen.update(v["dtype"] for k, v in header.items() if k != "__metadata__")
    return seen


def save_sharded(dtype_name):
    torch_dtype, st_dtype = DTYPES[dtype_name]
    folder = os.path.join(OUT, dtype_name)
    shutil.rmtree(folder, ignore_errors=True)
    model = GPTNeoForCausalLM.from_pretrained(TINY, attn_implementation="eager", torch_dtype=torch_dtype)
    model.save_pretrained(folder, max_shard_size="8KB")
    os.remove(os.path.join(folder, "generation_config.json"))  # not read by the loader under test
    shards = sorted(f for f in os.listdir(folder) if f.endswith(".safetensors"))
    assert len(shards) >= 3 and os.path.exists(os.path.join(folder, "model.safetensors.index.json")), shards
    assert file_dtypes(folder) == {st_dtype}, file_dtypes(folder)
    return folder, len(shards)


def save_adapter(base_folder):
    base = GPTNeoForCausalLM.from_pretrained(base_folder, attn_implementation="eager", torch_dtype=torch.float32)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    model.to(torch.bfloat16)
    folder = os.path.join(OUT, "adapter-bfloat16")
    shutil.rmtree(folder, ignore_errors=True)
    model.save_pretrained(folder)
    os.remove(os.path.join(folder, "README.md"))  # peft's model card template
    with open(os.path.join(folder, "adapter_config.json")) as f:
        written = json.load(f)
    written["base_model_name_or_path"] = os.path.relpath(base_folder, folder)
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(written, f, indent=2, sort_keys=True)
    assert file_dtypes(folder) == {"BF16"}, file_dtypes(folder)
    return folder


def main():
    batch = right_batch()
    tensors = {"float32.logits": float32_logits(GPTNeoForCausalLM.from_pretrained(TINY, attn_implementation="eager"), batch)}
    result = {"transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__}
    for name in DTYPES:
        folder, shards = save_sharded(name)
        model = GPTNeoForCausalLM.from_pretrained(folder, attn_implementation="eager", torch_dtype=torch.float32)
        tensors[f"{name}.logits"] = float32_logits(model, batch)
        result[name] = {"shards": shards}
    adapter = save_adapter(os.path.join(OUT, "bfloat16"))
    base = GPTNeoForCausalLM.from_pretrained(os.path.join(OUT, "bfloat16"), attn_implementation="eager", torch_dtype=torch.float32)
    tensors["bfloat16-adapter.logits"] = float32_logits(PeftModel.from_pretrained(base, adapter), batch)
    ref = tensors["float32.logits"]
    for key, t in tensors.items():
        result.setdefault("relative_to_float32", {})[key] = ((t - ref).abs().max() / ref.abs().max()).item()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "golden.safetensors"),
              metadata={"format": "pt", "transformers": transformers.__version__, "peft": peft.__version__})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
