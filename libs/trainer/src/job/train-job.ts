// The train stage as one function: an ingested dataset folder and a GPT-Neo model (folder or preset)
// in, a trained Hugging Face model folder out. Records become texts through the dataset's template,
// texts become ids through the GPT-2 tokenizer, batches come from the completion-only collator with the
// response template, and the loop of ../train.ts trains. Used by `ftune train` and the train service.
import * as path from 'node:path';
import {
  completionOnlyConfig,
  countTargets,
  fromConfig,
  languageModelingConfig,
  packedBatches,
  type Example,
} from '@ftune/collator';
import { UserError } from '@ftune/common';
import { readManifest, readSplit, recordToText, type JobChatTemplate, type JsonObject } from '@ftune/dataset';
import {
  createModel,
  type GPTNeoModel,
  isAdapterFolder,
  isModelFolder,
  loadAdapterWeightsInto,
  loadModel,
  loadWeightsInto,
  ownTokenizerDir,
  saveAdapter,
  saveModel,
} from '@ftune/model-gpt-neo';
import { loadTokenizer, saveTokenizerFiles, type Tokenizer } from '@ftune/tokenizer';
import { resolveArgs } from '../args';
import { resolveLora, type LoraSettings } from '../config/hyperparameters';
import { toTrainingArguments, type TrainJobConfig } from '../config/train-config';
import { train, type ModelIO, type TrainerEvent, type TrainResult } from '../train';
import { packedSampler } from '../data/order';
import type { DataSource } from '../types';
import { chatExample, jobChatTemplate, trainedParts } from './chat-data';

export interface TrainJobHooks {
  onEvent?: (event: TrainerEvent) => void;
  /** Human-readable notes about the inputs (model, tokenizer, data, truncation). */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Loss weight of each training record (e.g. bias-audit reweighing), by its 0-based index in train.jsonl; undefined = 1. */
  trainWeight?: (record: JsonObject, index: number) => number | undefined;
}

export interface TrainJobResult extends TrainResult {
  examples: { train: number; validation: number; untrainable: number };
  /** What was trained: every weight, or LoRA adapters (model/ then holds the adapter) on a frozen base. */
  parameters: { trainable: number; total: number; adapter: LoraSettings | null; base: string };
}

/** Folder name, under the job's out, of a preset's frozen base when LoRA trains on it. */
export const LORA_BASE_DIR = 'base';

/**
 * Training examples of one split, named by line: token ids of each record's training text (dataset
 * template), or of its conversation rendered with the chat template (with the assistant-turn mask).
 */
async function readExamples(
  dir: string,
  split: 'train' | 'validation',
  tokenizer: Tokenizer,
  chat: JobChatTemplate | null,
  weightOf?: (record: JsonObject, index: number) => number | undefined,
): Promise<{ examples: Example[]; responseTemplate: string | null; instructionTemplate: string | null }> {
  const examples: Example[] = [];
  let responseTemplate: string | null = null;
  let instructionTemplate: string | null = null;
  let line = 0;
  for await (const record of readSplit(dir, split)) {
    line += 1;
    if (chat) {
      const weight = weightOf?.(record, line - 1);
      const example = chatExample(record, chat.template, tokenizer, `${split}.jsonl record ${line}`);
      examples.push(weight === undefined ? example : { ...example, weight });
      continue;
    }
    const t = recordToText(record);
    responseTemplate ??= t.responseTemplate;
    instructionTemplate ??= t.instructionTemplate;
    const weight = weightOf?.(record, line - 1);
    examples.push({
      inputIds: tokenizer.encodeIds(t.text),
      name: `${split}.jsonl record ${line}`,
      text: t.text,
      ...(weight === undefined ? {} : { weight }),
    });
  }
  return { examples, responseTemplate, instructionTemplate };
}

export async function runTrainJob(
  config: TrainJobConfig,
  hooks: TrainJobHooks = {},
): Promise<TrainJobResult> {
  const log = hooks.log ?? (() => undefined);
  const args = resolveArgs(toTrainingArguments(config));

  // Tokenizer: the model folder's own, else GPT-2's; pad = eos as the seed sets it
  const fromFolder = isModelFolder(config.model);
  if (!fromFolder && isAdapterFolder(config.model)) {
    throw new UserError(
      `${config.model} is a LoRA adapter folder: train from its base model folder (and --lora), or fold it in first with ftune merge`,
    );
  }
  const tokenizerDir = ownTokenizerDir(config.model);
  const tokenizer = loadTokenizer(tokenizerDir ?? 'gpt2');
  log(`tokenizer: ${tokenizerDir ?? 'gpt2 (built in)'}`);
  const chat = jobChatTemplate(config.chat_template, tokenizerDir, tokenizer, config.response_template);

  // Data: records → texts (chat template, else dataset template) → ids
  const manifest = readManifest(config.dataset);
  const trainSplit = await readExamples(config.dataset, 'train', tokenizer, chat, hooks.trainWeight);
  const validationSplit = manifest.splits.validation?.records
    ? await readExamples(config.dataset, 'validation', tokenizer, chat)
    : { examples: [], responseTemplate: null, instructionTemplate: null };
  if (trainSplit.examples.length === 0) throw new UserError(`${config.dataset}: the train split is empty`);
  const responseTemplate = config.response_template ?? trainSplit.responseTemplate;
  // chat records: every assistant turn is trained (multi-turn masking between user and assistant tags)
  const instructionTemplate = config.response_template ? null : trainSplit.instructionTemplate;

  // Model: a Hugging Face folder, or a preset with random init from the seed
  const model = fromFolder ? loadModel(config.model) : createModel(config.model, args.seed);
  try {
    const writeTokenizer = (d: string): void =>
      saveTokenizerFiles(tokenizer, d, { chatTemplate: chat?.template.source });
    const lora = resolveLora(args.lora);
    const base = lora ? loraBase(model, config, fromFolder, writeTokenizer) : config.model;
    const maxLength =
      config.max_length ?? Math.min(model.config.maxPositionEmbeddings, tokenizer.modelMaxLength);
    if (maxLength > model.config.maxPositionEmbeddings) {
      throw new UserError(
        `max_length ${maxLength} exceeds the model's ${model.config.maxPositionEmbeddings} positions`,
      );
    }
    log(
      `model: ${fromFolder ? config.model : `preset ${config.model}`} (${model.parameterCount().total.toLocaleString('en-US')} parameters)`,
    );
    model.gradientCheckpointing = args.gradientCheckpointing;
    if (args.gradientCheckpointing) log("gradient checkpointing: each block's activations recomputed in the backward pass");
    if (lora) {
      model.attachLora(lora, args.seed);
      const { trainable, total } = model.parameterCount();
      log(
        `LoRA adapters r=${lora.r} alpha=${lora.alpha} dropout=${lora.dropout} on ${lora.targets.join(', ')}` +
          `${lora.bias === 'all' ? ' with every bias' : lora.bias === 'lora_only' ? " with the targeted layers' biases" : ''}: ` +
          `${trainable.toLocaleString('en-US')} trainable of ${total.toLocaleString('en-US')} parameters ` +
          `(${((100 * trainable) / total).toFixed(2)}%), the base frozen (${base})`,
      );
    }

    // Collator: completion-only after the response template (plain LM for text records), truncating to maxLength;
    // with a chat template the examples carry their assistant mask, and padding is masked by position so the
    // template's end-of-turn token stays a label even where it is also the pad token
    // EOS appended and kept a label (by default) so that the model learns where a completion stops
    const eos = { appendEos: config.append_eos ?? true, keepEos: config.keep_eos_learnable ?? true };
    // packing: rows of maxLength tokens holding several examples (segment ids, positions restarting)
    const layout = args.packing ? { maxLength, packLength: maxLength } : { maxLength };
    const collatorConfig = chat
      ? languageModelingConfig({ ...layout, keepEos: true }, tokenizer)
      : responseTemplate
        ? completionOnlyConfig({ responseTemplate, instructionTemplate, ...layout, ...eos }, tokenizer)
        : languageModelingConfig({ ...layout, ...eos }, tokenizer);
    log(
      chat
        ? `chat template: ${chat.origin}; loss on the assistant turns (` +
            (chat.template.hasGenerationMarkers
              ? 'its {% generation %} blocks)'
              : 'what the template renders after each generation prompt)')
        : responseTemplate
          ? `loss on the tokens after ${JSON.stringify(responseTemplate)}` +
            (instructionTemplate ? ` (each turn, up to ${JSON.stringify(instructionTemplate)})` : '')
          : 'loss on every token (text records)',
    );
    if (!chat) {
      const appended = eos.appendEos ? 'EOS appended to each example' : 'no EOS appended';
      log(
        `${appended}; ${eos.keepEos ? 'EOS kept a label (padding masked by position)' : 'every EOS masked as padding'}`,
      );
    }

    // Rows that lose every trainable token (template missing, or completion truncated away) are counted once here
    const untrainable: string[] = [];
    const collator = fromConfig(collatorConfig);
    let labelled = 0;
    let tokens = 0;
    const lengthOf = (ex: Example): number =>
      collator.collate([ex]).batch.attentionMask.reduce((n, m) => n + m, 0);
    const trainLengths: number[] = [];
    trainSplit.examples.forEach((ex, i) => {
      const { batch } = collator.collate([ex]);
      const labels = countTargets(batch.labels);
      if (labels === 0) untrainable.push(ex.name ?? '?');
      labelled += labels;
      const length = batch.attentionMask.reduce((n, m) => n + m, 0);
      trainLengths.push(length);
      tokens += length;
      if (i === 0 && chat) {
        log(
          `${ex.name ?? 'example 1'} as trained, labels in «»: ${JSON.stringify(trainedParts(batch, tokenizer))}`,
        );
      }
    });
    log(`labels: ${labelled} of the ${tokens} tokens of the train split`);
    if (untrainable.length > 0) {
      log(
        `${untrainable.length} of ${trainSplit.examples.length} training examples have no trainable token after truncation to ` +
          `${maxLength} tokens or lack the response template (first: ${untrainable.slice(0, 3).join(', ')}); they add no loss`,
      );
    }
    // lengths as collated (EOS appended, truncated): packing fills rows with them
    const source = (examples: Example[], lengths = examples.map(lengthOf)): DataSource<Example> => ({
      examples,
      collate: (batch) => collator.collate(batch).batch,
      lengths,
      ...(args.packing && {
        evalBatches: (rows: number) =>
          packedBatches(lengths, { rowLength: maxLength, rowsPerBatch: rows, seed: 0 }),
      }),
    });

    const modelIO: ModelIO = lora
      ? {
          save: (dir) => void saveAdapter(model, dir, { baseModel: base, writeTokenizer }),
          load: (dir) => loadAdapterWeightsInto(model, dir),
        }
      : {
          save: (dir) => void saveModel(model, dir, { writeTokenizer }),
          load: (dir) => loadWeightsInto(model, dir),
        };
    const parameters = { ...model.parameterCount(), adapter: lora, base };
    const result = await train({
      model,
      train: source(trainSplit.examples, trainLengths),
      validation: validationSplit.examples.length ? source(validationSplit.examples) : undefined,
      args,
      outDir: config.out,
      resume: config.resume,
      onEvent: hooks.onEvent,
      signal: hooks.signal,
      modelIO,
      ...(args.packing && { sampler: packedSampler(trainLengths, maxLength) }),
    });
    return {
      ...result,
      examples: {
        train: trainSplit.examples.length,
        validation: validationSplit.examples.length,
        untrainable: untrainable.length,
      },
      parameters,
    };
  } finally {
    model.dispose();
  }
}

/**
 * The folder LoRA's frozen base lives in, for the adapter config to name: the model folder itself, or for a preset
 * its random init written once to <out>/base/ (an adapter alone cannot rebuild it).
 */
function loraBase(
  model: GPTNeoModel,
  config: TrainJobConfig,
  fromFolder: boolean,
  writeTokenizer: (dir: string) => void,
): string {
  if (fromFolder) return path.resolve(config.model);
  const dir = path.resolve(config.out, LORA_BASE_DIR);
  saveModel(model, dir, { writeTokenizer });
  return dir;
}
