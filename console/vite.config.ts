// The ops console's build: plain TypeScript modules bundled by Vite into dist/, served under /console/ (the local
// gateway and CloudFront alike). No framework: the pages are small and a framework would be most of the bundle.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  logLevel: 'warn',
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    // One small CSS file and one script: no inline code, so the CSP needs no 'unsafe-inline'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
