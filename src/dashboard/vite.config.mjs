import { fileURLToPath } from 'node:url';

// The dashboard's offline build (`npm run build`): hashed files under dist/dashboard/assets and an
// index.html that loads them. No inline script or style (the server's CSP forbids both), no CDN.
// `vite build --outDir DIR` builds elsewhere (the build test writes to a temporary directory).
const root = fileURLToPath(new URL('.', import.meta.url));

export default {
  root,
  base: '/',
  logLevel: 'warn',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Vite's modulepreload polyfill is for browsers without module preload; the dashboard targets current ones.
    modulePreload: { polyfill: false },
    // Every asset is a file: no data: URLs inlined into CSS or JS.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    reportCompressedSize: false,
  },
};
