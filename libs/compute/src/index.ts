// @ftune/compute — TensorFlow.js backend chooser: tfjs-node-gpu, tfjs-node, wasm, cpu.
