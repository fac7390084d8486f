// Worker-thread entry: the tokenizer sources are TypeScript run through tsx's require hook.
'use strict';
require('tsx/cjs/api').register();
require('./worker.ts');
