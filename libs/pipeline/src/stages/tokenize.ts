// tokenize: dataset.ingested → dataset.tokenized. Checks the data as training will see it: each
// record's training text through the tokenizer and the completion-only collator (the trainer's
// settings), counting tokens and trainable tokens, truncated examples, and rows the collator reports
// as untrainable (template missing or completion cut off). With a chat template (docs/datasets.md),
// records are rendered and masked as the train job does it. Writes tokenize/summary.json.
import * as path from 'node:path';
import {
  completionOnlyConfig,
  countTargets,
  fromConfig,
  languageModelingConfig,
  warningCollector,
  type Example,
} from '@ftune/collator';
import { newEnvelope, Topics } from '@ftune/contracts';
import { readManifest, readSplit, recordToText } from '@ftune/dataset';
import { loadTokenizer } from '@ftune/tokenizer';
import { chatExample, jobChatTemplate } from '@ftune/trainer';
import type { Stage } from '../stage';
import { readRunConfig } from './common';

export interface SplitTokens {
  examples: number;
  tokens: number;
  /** Tokens in the loss (labels other than -100) after truncation. */
  trainableTokens: number;
  truncated: number;
  untrainable: number;
  maxTokens: number;
  meanTokens: number;
}

export interface TokenizeSummary {
  tokenizer: string;
  maxLength: number;
  responseTemplate: string | null;
  /** Where the chat template came from, when records are rendered with one (then no response template). */
  chatTemplate?: string;
  splits: Record<string, SplitTokens>;
  /** The first untrainable examples, named by split file and record. */
  untrainableExamples: string[];
}

export const tokenizeStage: Stage<typeof Topics.datasetIngested, typeof Topics.datasetTokenized> = {
  name: 'tokenize',
  consumes: Topics.datasetIngested,
  emits: Topics.datasetTokenized,
  async handle(event, ctx) {
    const cfg = readRunConfig(ctx.store, event.runId);
    const dataset = ctx.store.path(event.datasetDir);
    const manifest = readManifest(dataset);
    const tokenizer = loadTokenizer(cfg.tokenizer);
    const maxLength = cfg.collator.maxLength;
    const chat = jobChatTemplate(
      cfg.template.chatTemplate,
      cfg.tokenizer === 'gpt2' ? null : cfg.tokenizer,
      tokenizer,
      cfg.template.responseTemplate,
    );
    const total =
      manifest.splits.train.records + manifest.splits.validation.records + manifest.splits.test.records;
    const summary: TokenizeSummary = {
      tokenizer: cfg.tokenizer === 'gpt2' ? 'gpt2' : path.basename(cfg.tokenizer),
      maxLength,
      responseTemplate: null,
      ...(chat ? { chatTemplate: chat.origin } : {}),
      splits: {},
      untrainableExamples: [],
    };
    let done = 0;
    let seenTokens = 0;
    for (const split of ['train', 'validation', 'test'] as const) {
      if (manifest.splits[split].records === 0) continue;
      const s: SplitTokens = {
        examples: 0,
        tokens: 0,
        trainableTokens: 0,
        truncated: 0,
        untrainable: 0,
        maxTokens: 0,
        meanTokens: 0,
      };
      let collate: ((example: Example) => Int32Array) | undefined;
      const warnings = warningCollector();
      for await (const record of readSplit(dataset, split)) {
        s.examples += 1;
        const name = `${split}.jsonl record ${s.examples}`;
        let example: Example;
        if (chat) {
          // labels from the assistant mask; padding masked by position, as the train job does
          example = chatExample(record, chat.template, tokenizer, name);
          if (!collate) {
            const collator = fromConfig(languageModelingConfig({ maxLength, keepEos: true }, tokenizer));
            collate = (ex) => collator.collate([ex]).batch.labels;
          }
        } else {
          const t = recordToText(record);
          example = { inputIds: tokenizer.encodeIds(t.text), name };
          if (!collate) {
            const template = cfg.template.responseTemplate ?? t.responseTemplate;
            summary.responseTemplate ??= template;
            // the train stage's collation, so the counts are those of the loss
            const eos = { appendEos: cfg.collator.appendEos, keepEos: cfg.collator.keepEosLearnable };
            const config = template
              ? completionOnlyConfig(
                  { responseTemplate: template, maxLength, untrainableRows: 'report', ...eos },
                  tokenizer,
                )
              : languageModelingConfig({ maxLength, ...eos }, tokenizer);
            const collator = fromConfig(config, { onWarning: warnings.sink });
            collate = (ex) => collator.collate([ex]).batch.labels;
          }
        }
        const ids = example.inputIds;
        const labels = collate(example);
        const trainable = countTargets(labels);
        s.tokens += ids.length;
        s.trainableTokens += trainable;
        s.maxTokens = Math.max(s.maxTokens, ids.length);
        if (ids.length > maxLength) s.truncated += 1;
        if (trainable === 0) {
          s.untrainable += 1;
          if (summary.untrainableExamples.length < 10) summary.untrainableExamples.push(name);
        }
        done += 1;
        seenTokens += ids.length;
        if (done % 100 === 0 || done === total)
          ctx.progress?.({ stage: 'tokenize', unit: 'records', done, total, fields: { tokens: seenTokens } });
      }
      s.meanTokens = s.examples ? s.tokens / s.examples : 0;
      summary.splits[split] = s;
    }
    const rel = ctx.store.stageDir(event.runId, 'tokenize');
    ctx.store.writeJson(`${rel}/summary.json`, summary);
    const train = summary.splits.train;
    ctx.log(
      `${train?.tokens ?? 0} training tokens (${train?.trainableTokens ?? 0} in the loss), ${train?.truncated ?? 0} truncated to ${maxLength}, ${train?.untrainable ?? 0} untrainable`,
    );
    const warn = ctx.warn ?? ctx.log;
    for (const [split, st] of Object.entries(summary.splits)) {
      if (st?.truncated) warn(`${split}: ${st.truncated} rows truncated to ${maxLength} tokens`);
      if (st?.untrainable)
        warn(
          `${split}: ${st.untrainable} rows with no trained token (response template not found or cut off)`,
        );
    }
    return {
      ...newEnvelope(event.runId),
      datasetDir: event.datasetDir,
      tokenizedDir: rel,
      tokens: train?.tokens ?? 0,
    };
  },
};
