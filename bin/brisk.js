#!/usr/bin/env node
// `brisk`: runs the CLI in this very process, so the pid a process manager started is Brisk itself
// and its SIGTERM drains the server. The compiled JavaScript in dist/ (`npm run build`, which
// `npm install` runs) when it is newer than every source file; otherwise the TypeScript in src/
// through tsx's loader, as in development.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Tests and their helpers, which tsconfig.build.json leaves out. */
const BUILT_WITHOUT = /\.test(-support)?\.ts$/

/** Besides TypeScript, what the build copies into dist/ (templates, stylesheets). */
const COPIED = /\.(eta|css)$/

/** The newest modification time of the files the build compiles or copies. */
function newestSource(dir) {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full))
    else if ((entry.name.endsWith('.ts') && !BUILT_WITHOUT.test(entry.name)) || COPIED.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs)
  }
  return newest
}

function compiledIsCurrent() {
  let built
  try {
    built = fs.statSync(path.join(root, 'dist', 'main.js')).mtimeMs
  } catch {
    return false
  }
  // an install without the sources (only dist/) runs what it has
  return !fs.existsSync(path.join(root, 'src')) || newestSource(path.join(root, 'src')) <= built
}

if (compiledIsCurrent()) {
  if (process.argv.includes('--verbose')) process.setSourceMapsEnabled(true)
  await import(pathToFileURL(path.join(root, 'dist', 'main.js')).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(path.join(root, 'src', 'main.ts')).href)
}
