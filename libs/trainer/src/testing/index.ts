// Test helpers for the trainer and its users: a tiny TrainableModel and a synthetic token task.
export * from './tiny-lm';
export * from './tasks';
export * from './golden-adamw';
