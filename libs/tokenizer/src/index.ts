// @ftune/tokenizer — Hugging Face-compatible tokenizers: GPT-2 byte-level BPE with ids identical to GPT2TokenizerFast.
