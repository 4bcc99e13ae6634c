import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const folders = new Set<string>()

/** A temporary folder holding `files` (name → text), removed when the test process exits. */
export function tempFolderWith(prefix: string, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  if (folders.size === 0) {
    process.once('exit', () => {
      for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true })
    })
  }
  folders.add(dir)
  return dir
}
