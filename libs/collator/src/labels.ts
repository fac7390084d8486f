// The label of a position that is left out of the loss: PyTorch cross-entropy's default ignore_index,
// which the Hugging Face collators write for padding and masked prompts (docs/hf-semantics.md §2.1).
// A collator may be given another ignore index for masked prompts; padding always gets this one.
export const IGNORE_INDEX = -100;
