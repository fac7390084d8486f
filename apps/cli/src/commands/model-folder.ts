// Shared by `ftune score` and `ftune generate`: a GPT-Neo folder (or a base with a LoRA adapter) and its tokenizer,
// on the chosen backend.
import type { OpenedModelFolder } from '@ftune/model-gpt-neo';
import { lib } from './libs';

/** The --adapter flag's help, the same on every command that takes a model. */
export const ADAPTER_HELP =
  'a LoRA adapter folder (peft: adapter_config.json + adapter_model.safetensors) to apply to --model; an adapter folder given as --model alone opens on the base it names';

/** The folder's model (with `adapter` on it) with `tokenizerFlag`'s tokenizer, else the adapter's or folder's own, else GPT-2's. */
export async function openModelFolder(modelDir: string, tokenizerFlag?: string, adapter?: string): Promise<OpenedModelFolder> {
  await lib.compute().initBackend();
  return lib.modelGptNeo().openModelFolder(modelDir, { tokenizer: tokenizerFlag, adapter });
}
