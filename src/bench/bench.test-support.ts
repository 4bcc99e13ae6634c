/** What the bench tests share. */
import assert from 'node:assert/strict'

/**
 * Ctrl+C for a scenario under test: calls the one SIGINT listener the run added (not the test
 * runner's, which `listening` holds), waits for the run to end and answers the exit code it set,
 * leaving process.exitCode as it was.
 */
export async function interruptRun(running: Promise<unknown>, listening: readonly unknown[]): Promise<number | string | undefined> {
  const ours = process.listeners('SIGINT').filter((l) => !listening.includes(l))
  assert.equal(ours.length, 1)
  try {
    ours[0]!('SIGINT')
    await running
    return process.exitCode
  } finally {
    process.exitCode = undefined
  }
}
