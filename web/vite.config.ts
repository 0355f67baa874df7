/**
 * Vite build for the site: `vite build web` (from the repo root) or `vite build` (in web/) writes
 * static files to web/build. SvelteKit 3 takes its options here (it refuses a svelte.config.js).
 */
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// SvelteKit resolves its paths against the process's cwd, and the repo root runs `vite build web`:
// anchor every path to this folder so either command writes the same files.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const api = process.env.EDGETRACE_API;
const proxy = api ? { '/api': api, '/v1': api, '/healthz': api } : undefined;

export default defineConfig({
  root: here('.'),
  cacheDir: here('../node_modules/.vite-web'),
  plugins: [
    sveltekit({
      // The Worker serves these files from ./web/build ([assets] in wrangler.toml) and answers
      // unknown paths with index.html (not_found_handling = "single-page-application").
      adapter: adapter({ pages: here('build'), assets: here('build'), fallback: 'index.html' }),
      outDir: here('.svelte-kit'),
      files: { src: here('src'), assets: here('static') },
    }),
  ],
  // `EDGETRACE_API=http://127.0.0.1:8787 vite dev web` proxies the API to a running `npm start`.
  server: { proxy },
  preview: { proxy },
});
