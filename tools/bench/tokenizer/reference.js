// The benchmark's reference processes: the same JSONL {"text"} → {"input_ids"} work as `ftune tokenize`,
// through gpt-tokenizer (gpt2 encoding) or js-tiktoken (gpt2), reading stdin and writing stdout in chunks.
// Usage: node reference.js gpt-tokenizer|js-tiktoken < in.jsonl > out.jsonl
'use strict';
const which = process.argv[2];
let encode;
if (which === 'gpt-tokenizer') {
  encode = require('gpt-tokenizer/encoding/gpt2').encode;
} else if (which === 'js-tiktoken') {
  const enc = require('js-tiktoken').getEncoding('gpt2');
  encode = (text) => enc.encode(text);
} else {
  throw new Error(`unknown reference ${which}`);
}
let rest = '';
const flush = (chunk) => {
  let out = '';
  for (const line of chunk.split('\n')) {
    if (line.trim() === '') continue;
    out += `{"input_ids":[${encode(JSON.parse(line).text).join(',')}]}\n`;
  }
  return out;
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (data) => {
  const text = rest + data;
  const cut = text.lastIndexOf('\n') + 1;
  rest = text.slice(cut);
  const out = flush(text.slice(0, cut));
  if (out && !process.stdout.write(out)) {
    process.stdin.pause();
    process.stdout.once('drain', () => process.stdin.resume());
  }
});
process.stdin.on('end', () => process.stdout.write(flush(rest)));
