// @ftune/model-gpt-neo — GPT-Neo in TensorFlow.js (tfjs-core ops only) with Hugging Face safetensors weights in and out.
