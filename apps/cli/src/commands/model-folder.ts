// Shared by `ftune score` and `ftune generate`: a GPT-Neo folder and its tokenizer, on the chosen backend.
import type { OpenedModelFolder } from '@ftune/model-gpt-neo';
import { lib } from './libs';

/** The folder's model with `tokenizerFlag`'s tokenizer, else the folder's own, else GPT-2's. */
export async function openModelFolder(modelDir: string, tokenizerFlag?: string): Promise<OpenedModelFolder> {
  await lib.compute().initBackend();
  return lib.modelGptNeo().openModelFolder(modelDir, { tokenizer: tokenizerFlag });
}
