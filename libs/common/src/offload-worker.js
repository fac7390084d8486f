// Worker-thread entry of runInWorker (offload.ts): the sources are TypeScript run through tsx's
// require hook; calls one export and posts its value, or its error's name and message, back.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
require('tsx/cjs/api').register();

(async () => {
  const { module, fn, args } = workerData;
  try {
    const value = await require(module)[fn](...args);
    parentPort.postMessage({ ok: true, value });
  } catch (e) {
    parentPort.postMessage({ ok: false, name: e && e.name, message: e && e.message ? e.message : String(e) });
  }
})();
