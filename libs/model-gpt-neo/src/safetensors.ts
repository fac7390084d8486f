// The safetensors format lives in @ftune/safetensors (shared with the trainer's checkpoints); re-exported here for
// the model's own I/O and for users of this library's `safetensors` namespace.
export * from '@ftune/safetensors';
