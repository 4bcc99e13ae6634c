/**
 * Runs `removeNow` when the test process ends before its own cleanup does (an uncaught error,
 * Ctrl-C), so no server it started is left behind. Answers `forget`, for once the cleanup ran.
 */
export function cleanUpOnExit(removeNow: () => void): () => void {
  // A signal ends the process without 'exit': clean up, then let the signal do what it would have.
  const onSignal = (signal: NodeJS.Signals) => {
    removeNow()
    process.kill(process.pid, signal)
  }
  process.once('exit', removeNow)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return () => {
    process.removeListener('exit', removeNow)
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}
