#!/usr/bin/env node
// Entry point of the `ftune` command. The sources are TypeScript, run through tsx's require hook
// (no build step between `npm ci` and the first command).
'use strict';
// tsx applies a tsconfig only to the files it includes: this one covers every app and library
process.env.TSX_TSCONFIG_PATH ??= require('node:path').join(__dirname, '..', 'tsconfig.runtime.json');
require('tsx/cjs/api').register();
require('../src/main.ts');
