"""Golden fixtures for libs/eval's generation metrics, from the reference packages.

Computes, with sacreBLEU 2.6.0 (defaults: 13a tokenizer, mixed case, exp smoothing) and Google's
rouge-score 0.1.2 (ROUGE-L, no stemmer), on hand-written edge cases and seeded random sentence pairs:
  - the 13a tokenization of every text,
  - corpus BLEU (score, precisions, brevity penalty, lengths) over several corpora,
  - ROUGE-L precision / recall / F-measure of every pair.
Writes libs/eval/fixtures/generation-metrics.json (committed; tests only read it).

Rerun: tools/golden/setup-venv.sh && ~/.cache/ftune/golden-venv/bin/python tools/golden/eval_metrics.py
"""
import json
import pathlib
import random

import sacrebleu
from rouge_score import rouge_scorer
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

OUT = pathlib.Path(__file__).resolve().parents[2] / "libs" / "eval" / "fixtures" / "generation-metrics.json"

EDGE = [
    ("The cat sat on the mat.", "The cat sat on the mat."),
    ("the cat sat on the mat", "The cat is on the mat"),
    ("", "a reference with words"),
    ("a prediction with words", ""),
    ("Hello, world! It's 3.5-4 e.g. (ok)", "Hello world, it is 3.5 - 4 e.g. ok"),
    ("Price: $1,000.50; a&amp;b \"q\" x-y 12-3 end.", "Price: $1,000.50; a & b 'q' x-y 12 - 3 end."),
    ("Tabs\tand\nnew-\nlines <skipped> [x]{y}~", "Tabs and newlines [x] {y} ~"),
    ("Café crème brûlée, naïve façade", "cafe creme brulee naive facade"),
    ("Don't stop-me NOW!!!", "do not stop me now"),
    ("positive positive positive positive", "positive"),
    ("negative", "positive"),
    ("  leading and trailing spaces   ", "leading and trailing spaces"),
    ("UPPER lower MiXeD", "upper LOWER mixed"),
    ("1 2 3 4 5 6 7 8 9 10", "1 2 3 4 5 6 7 8 9 10 11 12"),
]

WORDS = ("the a an of to in film plot acting music was is very not quite good bad great dull long short "
         "story cast ending , . ! ? 's n't 42 3.14 well-made self-aware").split()


def random_pairs(n, seed):
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(1, 18))]
        hyp = list(ref)
        for _ in range(rng.randint(0, 6)):  # edits: replace, delete, insert
            op = rng.randrange(3)
            i = rng.randrange(len(hyp) + 1)
            if op == 0 and i < len(hyp):
                hyp[i] = rng.choice(WORDS)
            elif op == 1 and i < len(hyp) and len(hyp) > 1:
                del hyp[i]
            else:
                hyp.insert(i, rng.choice(WORDS))
        pairs.append((" ".join(hyp), " ".join(ref)))
    return pairs


def bleu(pairs):
    b = sacrebleu.corpus_bleu([h for h, _ in pairs], [[r for _, r in pairs]])
    return {
        "predictions": [h for h, _ in pairs],
        "references": [r for _, r in pairs],
        "score": b.score,
        "precisions": list(b.precisions),
        "brevity_penalty": b.bp,
        "sys_len": b.sys_len,
        "ref_len": b.ref_len,
    }


def main():
    pairs = EDGE + random_pairs(60, seed=20)
    tok = Tokenizer13a()
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    rows = []
    for hyp, ref in pairs:
        s = scorer.score(ref, hyp)["rougeL"]  # rouge-score takes (target, prediction)
        rows.append({
            "prediction": hyp,
            "reference": ref,
            "tokens_13a": tok(hyp.rstrip()).split(),
            "rouge_l": {"precision": s.precision, "recall": s.recall, "fmeasure": s.fmeasure},
        })
    corpora = {
        "all": bleu(pairs),
        "edge": bleu(EDGE),
        "random": bleu(pairs[len(EDGE):]),
        # shorter than the references (brevity penalty) with no matching 4-gram (exp smoothing)
        "short_smoothed": bleu([("the film was good", "the film was very good indeed ok"), ("a good cast now", "a good cast and crew here now")]),
        "no_four_grams": bleu([("the film", "the film was very good indeed"), ("good", "a good cast")]),
        "one_exact": bleu([EDGE[0]]),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "generator": f"sacrebleu {sacrebleu.__version__}, rouge-score 0.1.2 (tools/golden/eval_metrics.py)",
        "pairs": rows,
        "bleu": corpora,
    }, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({len(rows)} pairs, {len(corpora)} corpora)")


if __name__ == "__main__":
    main()
