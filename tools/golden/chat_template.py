"""Golden fixtures for ftune's chat templates, made by transformers' apply_chat_template.

Reads the templates committed in libs/dataset/fixtures/chat-templates/templates/ (real families' templates,
sources and licences in SOURCES.md there, plus a `-generation` variant of each that marks the assistant
output with {% generation %} blocks), builds two small tokenizer folders from the tiny byte-level BPE of
libs/tokenizer/fixtures/tiny-bpe (no model hub is needed):

  tokenizers/chatml/  + <|im_start|>, <|im_end|> (eos), chat_template = chatml.jinja
  tokenizers/llama/   + <s> (bos), </s> (eos), <unk>, chat_template = the named templates
                      (default = llama-2-chat, zephyr, mistral-instruct and the -generation variants)

and writes golden.json: for every template, conversation and add_generation_prompt in (false, true) what
GPT2TokenizerFast.apply_chat_template gives — the text, the token ids (tokenize=True), and the assistant
mask (return_assistant_tokens_mask=True) where the template has generation blocks; or the error message
where the template refuses the conversation (raise_exception).

Usage (from the repository root, after tools/golden/setup-venv.sh):
  ~/.cache/ftune/golden-venv/bin/python tools/golden/chat_template.py
"""

import json
import os
import re
import shutil
import sys

import jinja2
import tokenizers
import transformers
from transformers import AutoTokenizer, GPT2TokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_BPE = os.path.join(ROOT, "libs", "tokenizer", "fixtures", "tiny-bpe")
OUT = os.path.join(ROOT, "libs", "dataset", "fixtures", "chat-templates")
TEMPLATES = os.path.join(OUT, "templates")

FAMILIES = ["chatml", "llama-2-chat", "zephyr", "mistral-instruct"]

CONVERSATIONS = {
    "single-turn": [
        {"role": "user", "content": "Hi there!"},
        {"role": "assistant", "content": "Hello! How can I help?"},
    ],
    "system": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
    ],
    "multi-turn": [
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "Another?"},
        {"role": "assistant", "content": "Green, or perhaps teal."},
    ],
    "system-multi-turn-unicode": [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Thank you"},
        {"role": "assistant", "content": "Merci \u2014 de rien ! \U0001F60A"},
        {"role": "user", "content": "Goodbye, na\u00efve caf\u00e9"},
        {"role": "assistant", "content": "Au revoir.\n\u00c0 bient\u00f4t."},
    ],
    "ends-with-user": [
        {"role": "user", "content": "Tell me a joke."},
        {"role": "assistant", "content": "Why did the chicken cross the road?"},
        {"role": "user", "content": "Why?"},
    ],
    "whitespace": [
        {"role": "user", "content": "  spaced out  "},
        {"role": "assistant", "content": " padded answer \n"},
    ],
    "not-alternating": [
        {"role": "user", "content": "One"},
        {"role": "user", "content": "Two"},
        {"role": "assistant", "content": "Three"},
    ],
}


def read_template(name):
    with open(os.path.join(TEMPLATES, f"{name}.jinja"), encoding="utf-8") as f:
        return f.read()


def build_folders():
    folders = {}

    chatml = GPT2TokenizerFast.from_pretrained(TINY_BPE)
    chatml.add_special_tokens(
        {"eos_token": "<|im_end|>", "additional_special_tokens": ["<|im_start|>", "<|im_end|>"]}
    )
    chatml.chat_template = read_template("chatml")
    chatml.model_max_length = 512
    folders["chatml"] = chatml

    llama = GPT2TokenizerFast.from_pretrained(TINY_BPE)
    llama.add_special_tokens({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})
    named = {"default": read_template("llama-2-chat")}
    for family in FAMILIES[1:]:
        named[family] = read_template(family)
        named[f"{family}-generation"] = read_template(f"{family}-generation")
    llama.chat_template = named
    llama.model_max_length = 512
    folders["llama"] = llama

    loaded = {}
    for name, tok in folders.items():
        path = os.path.join(OUT, "tokenizers", name)
        shutil.rmtree(path, ignore_errors=True)
        tok.save_pretrained(path)
        # what a user's folder gives: reloaded from the files, as AutoTokenizer finds them
        loaded[name] = AutoTokenizer.from_pretrained(path)
        assert loaded[name].is_fast
    return loaded


def case(tok, folder, template_name, template, conversation, messages, add_generation_prompt):
    out = {
        "folder": folder,
        "template": template_name,
        "conversation": conversation,
        "add_generation_prompt": add_generation_prompt,
    }
    has_generation = re.search(r"\{\%-?\s*generation\s*-?\%\}", template) is not None
    try:
        text = tok.apply_chat_template(
            messages, chat_template=template, tokenize=False, add_generation_prompt=add_generation_prompt
        )
    except jinja2.exceptions.TemplateError as e:
        out["error"] = str(e)
        return out
    enc = tok.apply_chat_template(
        messages,
        chat_template=template,
        tokenize=True,
        add_generation_prompt=add_generation_prompt,
        return_dict=True,
        return_assistant_tokens_mask=has_generation,
    )
    out["text"] = text
    out["input_ids"] = list(enc["input_ids"])
    assert out["input_ids"] == tok(text, add_special_tokens=False)["input_ids"]
    if has_generation:
        out["assistant_masks"] = list(enc["assistant_masks"])
    return out


def main():
    tokenizers_by_folder = build_folders()
    cases = []
    for family in FAMILIES:
        for variant in (family, f"{family}-generation"):
            folder = "chatml" if family == "chatml" else "llama"
            template = read_template(variant)
            tok = tokenizers_by_folder[folder]
            for conversation, messages in CONVERSATIONS.items():
                for add_generation_prompt in (False, True):
                    cases.append(
                        case(tok, folder, variant, template, conversation, messages, add_generation_prompt)
                    )
    doc = {
        "generated_by": "tools/golden/chat_template.py",
        "versions": {
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "jinja2": jinja2.__version__,
            "python": sys.version.split()[0],
        },
        "conversations": CONVERSATIONS,
        "cases": cases,
    }
    with open(os.path.join(OUT, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum(1 for c in cases if "error" in c)
    masks = sum(1 for c in cases if "assistant_masks" in c)
    print(f"{len(cases)} cases ({errors} refused by the template, {masks} with assistant masks) -> {OUT}")


if __name__ == "__main__":
    main()
