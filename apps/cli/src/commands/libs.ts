// The libraries behind the commands, loaded when a command runs rather than when it is registered, so that
// `ftune --help` and each command pay only for what they use (TensorFlow.js, tokenizer tables, gRPC, …).
// require(), not import(): the tsx CommonJS hook that runs the CLI does not compile a dynamically imported .ts.
export const lib = {
  biasAudit: () => require('@ftune/bias-audit') as typeof import('@ftune/bias-audit'),
  collator: () => require('@ftune/collator') as typeof import('@ftune/collator'),
  compute: () => require('@ftune/compute') as typeof import('@ftune/compute'),
  dataset: () => require('@ftune/dataset') as typeof import('@ftune/dataset'),
  eval: () => require('@ftune/eval') as typeof import('@ftune/eval'),
  modelGptNeo: () => require('@ftune/model-gpt-neo') as typeof import('@ftune/model-gpt-neo'),
  pipeline: () => require('@ftune/pipeline') as typeof import('@ftune/pipeline'),
  proto: () => require('@ftune/proto') as typeof import('@ftune/proto'),
  tokenizer: () => require('@ftune/tokenizer') as typeof import('@ftune/tokenizer'),
  telemetry: () => require('@ftune/telemetry') as typeof import('@ftune/telemetry'),
  tracking: () => require('@ftune/tracking') as typeof import('@ftune/tracking'),
  trainer: () => require('@ftune/trainer') as typeof import('@ftune/trainer'),
  trainJobs: () => require('@ftune/train-jobs') as typeof import('@ftune/train-jobs'),
  transport: () => require('@ftune/transport') as typeof import('@ftune/transport'),
};
