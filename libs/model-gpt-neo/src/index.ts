// @ftune/model-gpt-neo — GPT-Neo in TensorFlow.js (tfjs-core ops only) with Hugging Face safetensors weights in and out.
export * from './config';
export { GPTNeoModel, IGNORE_INDEX, parameterSpecs, internalShape, derivePositions, initialValues } from './model';
export type { GPTNeoBatch, LossTerms, ParamSpec, ParamKind } from './model';
export type { GenerateOptions } from './sampling';
export { validateGenerateOptions } from './sampling';
export { createModel } from './create';
export { FUSED_KERNELS, nativeCpuBackend, type NativeKernelBackend, type NativeTensorInfo } from './ops/native-kernels';
export { loadModel, loadWeightsInto, saveModel, readHfConfig, TOKENIZER_FILES } from './io';
export type { SaveOptions } from './io';
export { isModelFolder, loadModelFolder, mergeAdapterFolder, modelSources, openModelFolder, ownTokenizerDir, type OpenedModelFolder } from './folder';
export * as safetensors from '@ftune/safetensors';
export { LoraAdapters, linearModules, peftKey, selectModules, validateLoraConfig } from './lora';
export type { LoraConfig, LoraLayer, LoraModule } from './lora';
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  adapterBase,
  isAdapterFolder,
  loadAdapter,
  loadAdapterWeightsInto,
  readAdapterConfig,
  saveAdapter,
} from './adapter-io';
export type { AdapterFolderConfig, SaveAdapterOptions } from './adapter-io';
