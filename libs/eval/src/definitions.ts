// One-line definitions of every figure in eval.json, written into the file itself so that it can be
// read without docs/commands.md. Keys are dotted paths; `[]` marks an array element.

export const DEFINITIONS: Record<string, string> = {
  task: "'classification' when completions come from a small label set (candidate labels scored by likelihood), else 'generation'",
  examples: 'records in the test split that were evaluated',
  seed: 'seed of the bootstrap resampling, the sample choice and sampled generation',
  loss: 'mean negative log-likelihood (nats) per completion token over the whole test split (token-weighted; prompt tokens excluded)',
  perplexity: 'exp(loss)',
  token_accuracy: 'share of completion tokens whose most likely next token (argmax) was the reference token',
  accuracy:
    'share of test examples whose predicted label (highest log-likelihood among the candidate labels) equals the reference',
  macro_f1: 'unweighted mean of per-label F1 over labels that occur in the reference or the predictions',
  baseline_accuracy:
    'accuracy of always answering the majority label of the training split (test split when no training split)',
  start_accuracy: 'accuracy of the model before fine-tuning, scored the same way',
  labels: 'candidate labels, in the order of the confusion matrix rows and columns',
  'lm.tokens': 'completion tokens scored',
  'classification.per_label[]':
    'support (reference count), predicted count, true positives, precision, recall and F1 of one label (0 when a denominator is 0)',
  'classification.macro_precision': 'unweighted mean of per-label precision',
  'classification.macro_recall': 'unweighted mean of per-label recall',
  'classification.weighted_f1': 'per-label F1 weighted by support',
  'classification.confusion': 'confusion[g][p]: test examples with reference label g predicted as p',
  'classification.calibration.ece':
    'expected calibration error: 10 equal-width bins (m/10, (m+1)/10] of the top softmax probability over the candidate log-likelihoods; Σ (bin size / n)·|accuracy − mean confidence|',
  'classification.calibration.mce': 'largest |accuracy − mean confidence| over non-empty bins',
  'classification.calibration.bins[]':
    'per bin: bounds, count, mean confidence and accuracy (null when empty)',
  'generation.exact_match':
    'share of greedy generations equal to the reference after SQuAD normalisation (lower case, no punctuation, no articles, single spaces)',
  'generation.token_f1': 'mean SQuAD token-level F1 between greedy generation and reference',
  'generation.rouge_l':
    'mean ROUGE-L F-measure (longest common subsequence of lower-cased alphanumeric tokens, no stemming)',
  'generation.bleu.score':
    'corpus BLEU-4, 0–100, sacreBLEU defaults: 13a tokenizer, mixed case, brevity penalty, exp smoothing',
  'generation.bleu.precisions': 'modified 1- to 4-gram precisions, 0–100',
  'generation.bleu.brevity_penalty':
    'exp(1 − ref_len/sys_len) when generations are shorter than the references, else 1',
  'baselines[]':
    'the majority label, the model before fine-tuning (kind start) and other models (kind model), scored on the same split',
  'baselines[].comparison':
    'paired bootstrap (seeded) of the evaluated model minus the baseline on the per-example score (accuracy, or token F1 for generation): difference, percentile interval ci_low..ci_high at `confidence`, p_not_better = share of resamples with difference ≤ 0',
  'analysis.worst_examples[]':
    'test examples the model scored worst: lowest probability of the reference label, lowest token F1, or highest loss (see worst_by)',
  'analysis.by_length[]':
    'examples grouped by prompt length in tokens (near-equal-size quantile buckets) with loss, accuracy or token F1 per bucket',
  'analysis.top_confusions[]':
    'largest off-diagonal confusion cells: reference label, predicted label, count and share of the reference label',
  'samples.items[]':
    'test prompts (seeded choice) with the reference, a greedy generation and a sampled one (settings in samples.sampled; seed + item position)',
};
