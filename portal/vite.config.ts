import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The staff portal: built into dist/portal and served by the admin API under /portal.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/portal/',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: fileURLToPath(new URL('../dist/portal', import.meta.url)), emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
});
