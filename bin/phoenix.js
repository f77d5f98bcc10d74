#!/usr/bin/env node
// The `phoenix` CLI. `npm ci` builds dist/ (the `prepare` script); `npm run build` after edits.
require('../dist/apps/cli/src/main.js');
