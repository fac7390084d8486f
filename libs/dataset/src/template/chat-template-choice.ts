// Which chat template a job uses (docs/datasets.md#chat-templates), first match wins: a template file
// given by the user, a template of the tokenizer folder given by name, the folder's own template unless
// a response template asks for the dataset template; else none (the dataset template).
import * as fs from 'node:fs';
import { UserError } from '@ftune/common';
import {
  ChatTemplate,
  selectChatTemplate,
  type ChatSpecialTokens,
  type ChatTemplateSource,
} from './chat-template';

export interface JobChatTemplate {
  template: ChatTemplate;
  /** Where the template came from, for the log. */
  origin: string;
}

export interface ChatTemplateChoice {
  /** A template file, or the name of one of the folder's templates. */
  chosen?: string;
  /** A response template asked for (the dataset template); excludes `chosen`. */
  responseTemplate?: string;
  /** The tokenizer folder (null: the built-in gpt2) and its templates. */
  folder: string | null;
  folderTemplates: ChatTemplateSource | null;
  specialTokens: () => ChatSpecialTokens;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function chooseChatTemplate(c: ChatTemplateChoice): JobChatTemplate | null {
  if (c.chosen !== undefined && c.responseTemplate !== undefined) {
    throw new UserError(
      'chat_template and response_template exclude each other: a chat template marks the assistant turns itself',
    );
  }
  const own = c.folderTemplates;
  let text: string;
  let origin: string;
  if (c.chosen !== undefined && isFile(c.chosen)) {
    text = fs.readFileSync(c.chosen, 'utf8');
    origin = c.chosen;
  } else if (c.chosen !== undefined) {
    if (!own) {
      throw new UserError(
        `chat_template: "${c.chosen}" is not a file, and the tokenizer (${c.folder ?? 'gpt2, built in'}) has no chat templates`,
      );
    }
    text = selectChatTemplate(own, c.chosen);
    origin = `"${c.chosen}" of ${c.folder}/tokenizer_config.json`;
  } else if (own && c.responseTemplate === undefined) {
    text = selectChatTemplate(own);
    origin = `${c.folder}/tokenizer_config.json`;
  } else {
    return null;
  }
  return { template: new ChatTemplate(text, c.specialTokens()), origin };
}
