#!/usr/bin/env node
// Entry point of the `ftune` command. The sources are TypeScript, run through tsx's require hook
// (no build step between `npm ci` and the first command).
'use strict';
require('tsx/cjs/api').register();
require('../src/main.ts');
