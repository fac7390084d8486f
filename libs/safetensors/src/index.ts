// @ftune/safetensors — safetensors files read and written as the safetensors crate does (see header.ts for the
// rules), and Hugging Face model folders of one file or several shards. Used for model weights and checkpoints.
export * from './header';
export * from './file';
export * from './folder';
