// @ftune/tracking — experiment tracking: MLflow over its REST API, TensorBoard event files written here.
export * from './mlflow/client';
export * from './mlflow/run-logger';
export * from './mlflow/settings';
export * from './params';
export * from './run-tracker';
export * from './tensorboard/crc32c';
export * from './tensorboard/event';
export * from './tensorboard/record';
export * from './tensorboard/writer';
export * from './trainer-scalars';
