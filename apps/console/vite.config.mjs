import * as path from 'node:path';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

// The console is served by the gateway at /console from dist/console (no CDN, works offline).
export default defineConfig({
  root: here,
  base: '/console/',
  logLevel: 'warn',
  build: { outDir: path.join(here, '../../dist/console'), emptyOutDir: true, target: 'es2022', sourcemap: true },
});
