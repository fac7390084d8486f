"""Golden fixtures for LoRA in libs/model-gpt-neo: the real peft LoRA on the tiny GPT-Neo of gpt_neo.py.

1. peft → ftune: get_peft_model(tiny, LoraConfig(r=4, lora_alpha=8, target_modules=[q_proj, v_proj, c_fc],
   lora_dropout=0.05)), adapter matrices set to seeded random values (B = 0 at init would hide layout mistakes),
   save_pretrained into peft-adapter/; the same with bias="all" on [q_proj, out_proj, c_fc] (every bias trained and
   saved, a targeted module's under .base_layer.bias) into peft-adapter-bias/, with golden-bias.safetensors; and with
   bias="lora_only" on the same modules (the targeted layers' biases trained — out_proj and c_fc have one, q_proj none
   — but left out of the file by peft 0.17.1, so only the adapters get seeded values) into peft-adapter-lora-only/,
   with golden-lora-only.safetensors and the keys peft saved. On the right-padded batch of gpt_neo.py (eval mode, so no dropout) it
   records the logits, the mean next-token loss and the gradient of that loss for every lora_A / lora_B (PEFT's
   [out, in] layout) — one LoRA training step's gradients, which ftune must reproduce with the base frozen.
2. ftune → peft and merge: `npx tsx tools/golden/lora_roundtrip.ts` attaches fresh ftune adapters (r=2, alpha 16,
   all-linear targets, rslora, bias "all") to the tiny model, sets them and the biases to seeded values, saves the adapter folder, merges
   the adapter into the weights and saves that as a full folder, with ftune's logits for both. This script loads
   the adapter with PeftModel.from_pretrained onto GPTNeoForCausalLM and the merged folder with
   GPTNeoForCausalLM.from_pretrained, compares logits and records the result; the same for an ftune adapter with
   bias "lora_only" (its targeted biases saved under base_layer, which peft loads).

Writes (libs/model-gpt-neo/fixtures/lora/):
  peft-adapter/         adapter_config.json, adapter_model.safetensors (peft save_pretrained)
  golden.safetensors    logits, loss and adapter gradients (inputs: ../gpt-neo/golden.safetensors, right.*)
  roundtrip.json        result of the ftune → peft and ftune merge → transformers round trips

Usage (from the repository root, after gpt_neo.py):
  tools/golden/setup-venv.sh && ~/.cache/ftune/golden-venv/bin/python tools/golden/lora.py
"""

import json
import os
import shutil
import subprocess
import tempfile

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
OUT = os.path.join(ROOT, "libs", "model-gpt-neo", "fixtures", "lora")
ADAPTER = os.path.join(OUT, "peft-adapter")


def base_model():
    model = GPTNeoForCausalLM.from_pretrained(TINY, attn_implementation="eager")
    model.eval()
    return model


def right_batch():
    with safe_open(os.path.join(GPT_NEO, "golden.safetensors"), "pt") as f:
        return {k: f.get_tensor(f"right.{k}").long() for k in ["input_ids", "attention_mask", "labels"]}


def peft_to_ftune(adapter_dir, golden_file, seed_biases=True, **lora):
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.05, task_type="CAUSAL_LM", **lora)
    model = get_peft_model(base_model(), config)
    model.eval()
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.requires_grad and (seed_biases or "lora_" in name):  # the adapters, and the biases peft trains
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    shutil.rmtree(adapter_dir, ignore_errors=True)
    model.save_pretrained(adapter_dir)
    os.remove(os.path.join(adapter_dir, "README.md"))  # peft's model card template, nothing the fixtures need
    # peft records the path the base was loaded from; relative to the adapter folder, the fixture names its base on
    # any checkout (ftune resolves a relative base beside the adapter folder)
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        written = json.load(f)
    written["base_model_name_or_path"] = os.path.relpath(TINY, adapter_dir)
    with open(os.path.join(adapter_dir, "adapter_config.json"), "w") as f:
        json.dump(written, f, indent=2, sort_keys=True)
    batch = right_batch()
    out = model(**batch)
    out.loss.backward()
    tensors = {"logits": out.logits.detach().float(), "loss": out.loss.detach().reshape(1).float()}
    trainable = 0
    for name, p in model.named_parameters():
        if p.requires_grad:
            trainable += p.numel()
            # base_model.model.<module>.lora_A.default.weight → the file key, without the adapter name
            tensors["grad." + name.replace(".default", "")] = p.grad.detach().float()
        elif p.grad is not None:
            raise AssertionError(f"frozen {name} got a gradient")
    total = sum(p.numel() for p in model.parameters())
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, golden_file),
              metadata={"format": "pt", "peft": peft.__version__})
    with safe_open(os.path.join(adapter_dir, "adapter_model.safetensors"), "pt") as f:
        saved = sorted(f.keys())
    return {"trainable": trainable, "total": total, "saved_biases": [k for k in saved if "lora_" not in k]}


def max_relative(ours, theirs):
    return ((ours - theirs).abs().max() / theirs.abs().max()).item()


def peft_with_base_biases(tmp, ids):
    """The lora_only adapter's logits in peft with the base's biases (its saved biases dropped): they must differ."""
    model = PeftModel.from_pretrained(base_model(), os.path.join(tmp, "adapter-lora-only"))
    base = base_model()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("base_layer.bias"):
                p.copy_(base.get_parameter(name.replace("base_model.model.", "").replace("base_layer.", "")))
        return model.eval()(input_ids=ids).logits


def ftune_to_peft():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npx", "tsx", "tools/golden/lora_roundtrip.ts", TINY, tmp], cwd=ROOT, check=True)
        with safe_open(os.path.join(tmp, "ftune-logits.safetensors"), "pt") as f:
            ids = f.get_tensor("input_ids").long()
            adapter_logits = f.get_tensor("adapter.logits")
            merged_logits = f.get_tensor("merged.logits")
            lora_only_logits = f.get_tensor("lora_only.logits")
            base_logits = f.get_tensor("base.logits")
        adapted = PeftModel.from_pretrained(base_model(), os.path.join(tmp, "adapter"))
        adapted.eval()
        with open(os.path.join(tmp, "adapter", "adapter_config.json")) as f:
            written = json.load(f)
        merged, info = GPTNeoForCausalLM.from_pretrained(os.path.join(tmp, "merged"), attn_implementation="eager",
                                                         output_loading_info=True)
        merged.eval()
        lora_only = PeftModel.from_pretrained(base_model(), os.path.join(tmp, "adapter-lora-only"))
        lora_only.eval()
        with safe_open(os.path.join(tmp, "adapter-lora-only", "adapter_model.safetensors"), "pt") as f:
            lora_only_biases = sorted(k for k in f.keys() if "lora_" not in k)
        with torch.no_grad():
            peft_logits = adapted(input_ids=ids).logits
            merged_hf = merged(input_ids=ids).logits
            lora_only_peft = lora_only(input_ids=ids).logits
        return {
            "how": "ftune loadModel(tiny) + fresh adapters (bias all) and the biases set to seeded values → saveAdapter; mergeLora → saveModel; "
            "peft PeftModel.from_pretrained and transformers from_pretrained on those; logits compared with ftune's",
            "adapter": {
                "files": sorted(os.listdir(os.path.join(tmp, "adapter"))),
                "peft_config": {k: written[k] for k in ["r", "lora_alpha", "use_rslora", "bias", "target_modules"]},
                "peft_loaded_modules": sorted({n.split(".lora_")[0] for n, _ in adapted.named_parameters() if "lora_" in n}),
                "relative_logit_diff": max_relative(adapter_logits, peft_logits),
                "adapter_changes_logits": max_relative(adapter_logits, base_logits),
            },
            "lora_only": {
                "how": "ftune adapters on q_proj, out_proj, c_fc with bias lora_only, adapters and targeted biases seeded → saveAdapter; "
                "peft PeftModel.from_pretrained; logits compared with ftune's",
                "saved_biases": lora_only_biases,
                "relative_logit_diff": max_relative(lora_only_logits, lora_only_peft),
                "biases_change_logits": max_relative(lora_only_peft, peft_with_base_biases(tmp, ids)),
            },
            "merged": {
                "missing_keys": sorted(info["missing_keys"]),
                "unexpected_keys": sorted(info["unexpected_keys"]),
                "relative_logit_diff": max_relative(merged_logits, merged_hf),
                "relative_to_unmerged_peft": max_relative(merged_hf, peft_logits),
            },
        }


def main():
    os.makedirs(OUT, exist_ok=True)
    counts = peft_to_ftune(ADAPTER, "golden.safetensors", target_modules=["q_proj", "v_proj", "c_fc"])
    bias_counts = peft_to_ftune(os.path.join(OUT, "peft-adapter-bias"), "golden-bias.safetensors",
                                target_modules=["q_proj", "out_proj", "c_fc"], bias="all")
    lora_only_counts = peft_to_ftune(os.path.join(OUT, "peft-adapter-lora-only"), "golden-lora-only.safetensors",
                                     seed_biases=False, target_modules=["q_proj", "out_proj", "c_fc"], bias="lora_only")
    result = {"peft": peft.__version__, "transformers": transformers.__version__, "torch": torch.__version__,
              "peft_adapter_parameters": counts, "peft_bias_adapter_parameters": bias_counts,
              "peft_lora_only_adapter_parameters": lora_only_counts, **ftune_to_peft()}
    a, m, lo = result["adapter"], result["merged"], result["lora_only"]
    assert len(lo["saved_biases"]) == 2 * 3 and lo["relative_logit_diff"] < 1e-5 and lo["biases_change_logits"] > 1e-3, lo
    assert len(a["peft_loaded_modules"]) == 6 * 3, a
    assert a["relative_logit_diff"] < 1e-5 and a["adapter_changes_logits"] > 1e-2, a
    assert not m["missing_keys"] and not m["unexpected_keys"] and m["relative_logit_diff"] < 1e-5, m
    text = json.dumps(result, indent=2) + "\n"
    with open(os.path.join(OUT, "roundtrip.json"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
