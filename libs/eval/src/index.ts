// @ftune/eval — Evaluation: test loss, perplexity, task metrics, generation metrics, baselines and reports.
