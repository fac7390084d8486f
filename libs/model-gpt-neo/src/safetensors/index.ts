// safetensors reading and writing (format of the safetensors crate; see header.ts for the rules).
export * from './header';
export * from './file';
export * from './folder';
