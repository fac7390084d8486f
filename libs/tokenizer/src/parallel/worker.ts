// Worker thread of a TokenizerPool: loads its own tokenizer, then answers tasks one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { tokenizerFromConfig } from '../config';
import { detokenizeLines, tokenizeLines } from '../jsonl';
import { loadTokenizer } from '../loader';
import type { WorkerInit, WorkerReply, WorkerTask } from './protocol';

const init = workerData as WorkerInit;
const base = typeof init.source === 'string' ? loadTokenizer(init.source) : tokenizerFromConfig(init.source);
const tokenizer = init.settings ? base.withSettings(init.settings) : base;

function encodeIds(id: number, joined: string, textLengths: Int32Array): WorkerReply {
  const lists: number[][] = [];
  let from = 0;
  for (const n of textLengths) {
    lists.push(tokenizer.encodeIds(joined.slice(from, from + n)));
    from += n;
  }
  const lengths = Int32Array.from(lists, (l) => l.length);
  const ids = new Int32Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const l of lists) {
    ids.set(l, at);
    at += l.length;
  }
  return { id, kind: 'ids', ids, lengths };
}

function answer(task: WorkerTask): WorkerReply {
  switch (task.kind) {
    case 'tokenizeLines':
      return {
        id: task.id,
        kind: 'lines',
        result: tokenizeLines(tokenizer, task.chunk, task.firstLine, task.options),
      };
    case 'detokenizeLines':
      return {
        id: task.id,
        kind: 'lines',
        result: detokenizeLines(tokenizer, task.chunk, task.firstLine, task.options),
      };
    case 'encodeIds':
      return encodeIds(task.id, task.joined, task.lengths);
  }
}

parentPort?.on('message', (task: WorkerTask) => {
  let reply: WorkerReply;
  try {
    reply = answer(task);
  } catch (e) {
    reply = { id: task.id, kind: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  const transfer = reply.kind === 'ids' ? [reply.ids.buffer, reply.lengths.buffer] : [];
  parentPort?.postMessage(reply, transfer as ArrayBuffer[]);
});
