// Which chat template a training job renders its records with, and the training example of one record
// under it: the rendered conversation's ids with the loss on the assistant turns only (docs/datasets.md).
// Without a template (none given, none in the tokenizer folder) the dataset template stays in use.
import { IGNORE_INDEX, type CollatedBatch, type Example } from '@ftune/collator';
import { UserError } from '@ftune/common';
import {
  chooseChatTemplate,
  chatSpecialTokens,
  recordToMessages,
  type ChatTemplate,
  type JobChatTemplate,
  type JsonObject,
} from '@ftune/dataset';
import { readChatTemplates, type Tokenizer } from '@ftune/tokenizer';

/**
 * The job's chat template (docs/datasets.md#chat-templates): `chosen` (a file, or a template name of the
 * tokenizer folder) when given, else the folder's own; null when there is none or only a response
 * template was asked for.
 */
export function jobChatTemplate(
  chosen: string | undefined,
  tokenizerDir: string | null,
  tokenizer: Tokenizer,
  responseTemplate: string | undefined,
): JobChatTemplate | null {
  return chooseChatTemplate({
    chosen,
    responseTemplate,
    folder: tokenizerDir,
    folderTemplates: tokenizerDir ? readChatTemplates(tokenizerDir) : null,
    specialTokens: () => chatSpecialTokens(tokenizer.toConfig().settings),
  });
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
