// @ftune/common — small utilities every stage shares: user errors, user files, line streams, seeded random numbers.
export * from './errors';
export * from './files';
export * from './lines';
export * from './random';
export * from './offload';
export * from './unique';
export * from './sleep';
