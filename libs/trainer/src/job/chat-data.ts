// Which chat template a training job renders its records with, and the training example of one record
// under it: the rendered conversation's ids with the loss on the assistant turns only (docs/datasets.md).
// Without a template (none given, none in the tokenizer folder) the dataset template stays in use.
import * as fs from 'node:fs';
import { IGNORE_INDEX, type CollatedBatch, type Example } from '@ftune/collator';
import { UserError } from '@ftune/common';
import {
  ChatTemplate,
  chatSpecialTokens,
  recordToMessages,
  selectChatTemplate,
  type JsonObject,
} from '@ftune/dataset';
import { readChatTemplates, type Tokenizer } from '@ftune/tokenizer';

export interface JobChatTemplate {
  template: ChatTemplate;
  /** Where the template came from, for the log. */
  origin: string;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The job's chat template: `chosen` (a file, or a template name of the tokenizer folder) when given,
 * else the folder's own; null when there is none (or when only a response template was asked for).
 */
export function jobChatTemplate(
  chosen: string | undefined,
  tokenizerDir: string | null,
  tokenizer: Tokenizer,
  responseTemplate: string | undefined,
): JobChatTemplate | null {
  if (chosen !== undefined && responseTemplate !== undefined) {
    throw new UserError(
      'chat_template and response_template exclude each other: a chat template marks the assistant turns itself',
    );
  }
  const own = tokenizerDir ? readChatTemplates(tokenizerDir) : null;
  let text: string;
  let origin: string;
  if (chosen !== undefined && isFile(chosen)) {
    text = fs.readFileSync(chosen, 'utf8');
    origin = chosen;
  } else if (chosen !== undefined) {
    if (!own) {
      throw new UserError(
        `chat_template: "${chosen}" is not a file, and the tokenizer (${tokenizerDir ?? 'gpt2, built in'}) has no chat templates`,
      );
    }
    text = selectChatTemplate(own, chosen);
    origin = `"${chosen}" of ${tokenizerDir}/tokenizer_config.json`;
  } else if (own && responseTemplate === undefined) {
    text = selectChatTemplate(own);
    origin = `${tokenizerDir}/tokenizer_config.json`;
  } else {
    return null;
  }
  return { template: new ChatTemplate(text, chatSpecialTokens(tokenizer.toConfig().settings)), origin };
}

/** One record as a training example under the chat template (plain text records: every token trained). */
export function chatExample(
  record: JsonObject,
  chat: ChatTemplate,
  tokenizer: Tokenizer,
  name: string,
): Example {
  const messages = recordToMessages(record);
  if (!messages) {
    const text = typeof record.text === 'string' ? record.text : '';
    return { inputIds: tokenizer.encodeIds(text), name, text };
  }
  let t;
  try {
    t = chat.tokenize(messages, tokenizer);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${name}: ${e.message}`);
    throw e;
  }
  return { inputIds: t.inputIds, trainMask: t.trainMask, name, text: t.text };
}

/** The first row of a batch as text, each run of labelled tokens in «» (what the loss is taken on). */
export function trainedParts(batch: CollatedBatch, tokenizer: Tokenizer): string {
  let out = '';
  let run: number[] = [];
  let trained = false;
  const flush = (): void => {
    if (run.length) out += trained ? `«${tokenizer.decode(run)}»` : tokenizer.decode(run);
    run = [];
  };
  for (let t = 0; t < batch.seqLen; t++) {
    if (batch.attentionMask[t] === 0) continue;
    const isLabel = batch.labels[t] !== IGNORE_INDEX;
    if (isLabel !== trained) {
      flush();
      trained = isLabel;
    }
    run.push(batch.inputIds[t]);
  }
  flush();
  return out;
}
