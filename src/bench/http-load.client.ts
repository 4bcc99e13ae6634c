/**
 * The load generator of the HTTP benchmarks. It runs in a process of its own (started by
 * http-load.ts) so that it never takes the event loop of the server it measures, and it speaks
 * HTTP/1.1 on raw kept-alive sockets: one request in flight per connection (like wrk without
 * pipelining), every request prebuilt as bytes, every response read for its status, length and
 * Server-Timing only. node:http would cost this process several times as much per request, and on
 * two cores that CPU is taken from the server.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { type ClientMessage, type LoadRun, type RunOutcome, type Summary, statsOf } from './http-load.ts'

const HEADER_END = Buffer.from('\r\n\r\n')
const TIMING = 'server-timing: db;desc="'

interface Tally {
  latencies: number[]
  statements: number
  dbMs: number
}

/** What every run under one label has measured, kept here so only summaries cross the IPC channel. */
const labels = new Map<string, Tally[]>()
let stopping = false

function talliesOf(label: string, kinds: number): Tally[] {
  let tallies = labels.get(label)
  if (tallies === undefined) {
    tallies = Array.from({ length: kinds }, () => ({ latencies: [], statements: 0, dbMs: 0 }))
    labels.set(label, tallies)
  }
  return tallies
}

/** Reads one response from the front of `buffer`: undefined while it is incomplete. */
export function readResponse(buffer: Buffer) {
  const headerEnd = buffer.indexOf(HEADER_END)
  if (headerEnd < 0) return undefined
  const head = buffer.toString('latin1', 0, headerEnd).toLowerCase()
  const lengthAt = head.indexOf('\r\ncontent-length:')
  if (lengthAt < 0) throw new Error(`a response without content-length: ${head.slice(0, 200)}`)
  const end = headerEnd + 4 + Number.parseInt(head.slice(lengthAt + 17), 10)
  if (buffer.length < end) return undefined
  const timingAt = head.indexOf(TIMING)
  let statements = 0
  let dbMs = 0
  if (timingAt >= 0) {
    statements = Number.parseInt(head.slice(timingAt + TIMING.length), 10)
    const durAt = head.indexOf(';dur=', timingAt)
    if (durAt >= 0) dbMs = Number.parseFloat(head.slice(durAt + 5))
  }
  return { status: Number(head.slice(9, 12)), statements, dbMs, body: buffer.subarray(headerEnd + 4, end), end }
}

/** Sends the run's requests from `run.connections` sockets until its time or its request budget is spent. */
async function drive(run: LoadRun): Promise<RunOutcome> {
  const requests = run.targets.map(
    (t) => Buffer.from(`GET ${t.path} HTTP/1.1\r\nhost: ${run.host}:${run.port}\r\n${run.headerLines}\r\n`, 'latin1'),
  )
  const tallies = talliesOf(run.label, run.kinds.length)
  const budget = run.requests ?? Number.POSITIVE_INFINITY
  const outcome: RunOutcome = { requests: 0, errors: 0, firstError: undefined, elapsedMs: 0, cpuMs: 0 }
  let issued = 0
  let next = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const end = start + (run.durationMs ?? Number.POSITIVE_INFINITY)
  const more = () => !stopping && issued < budget && performance.now() < end
  await Promise.all(
    Array.from({ length: run.connections }, () =>
      connection(run, (send) => {
        if (!more()) return false
        issued += 1
        const target = run.sequence[next++ % run.sequence.length]!
        send(requests[target]!, (response, ms) => {
          if (response.status < 200 || response.status > 299) {
            outcome.errors += 1
            outcome.firstError ??= `${response.status} ${response.body.toString().slice(0, 300)}`
            return
          }
          outcome.requests += 1
          const tally = tallies[run.targets[target]!.kind]!
          tally.latencies.push(ms)
          tally.statements += response.statements
          tally.dbMs += response.dbMs
        })
        return true
      }),
    ),
  )
  outcome.elapsedMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  outcome.cpuMs = (used.user + used.system) / 1000
  return outcome
}

type Response = NonNullable<ReturnType<typeof readResponse>>
type Send = (request: Buffer, done: (response: Response, ms: number) => void) => void

/** One kept-alive socket: `next` sends the following request, or returns false when the run is over. */
function connection(run: LoadRun, next: (send: Send) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: run.host, port: run.port, noDelay: true })
    let buffered: Buffer | undefined
    let sentAt = 0
    let onResponse: ((response: Response, ms: number) => void) | undefined
    const send: Send = (request, done) => {
      onResponse = done
      sentAt = performance.now()
      socket.write(request)
    }
    const finish = () => {
      socket.end()
      resolve()
    }
    socket.on('connect', () => {
      if (!next(send)) finish()
    })
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk])
      const response = readResponse(buffered)
      if (response === undefined) return
      const ms = performance.now() - sentAt
      buffered = response.end === buffered.length ? undefined : buffered.subarray(response.end)
      onResponse?.(response, ms)
      onResponse = undefined
      if (!next(send)) finish()
    })
    socket.on('error', reject)
    socket.on('close', () => {
      if (onResponse !== undefined) reject(new Error('the server closed the connection with a request in flight'))
    })
  })
}

function summarize(): Summary {
  const summary: Summary = {}
  for (const [label, tallies] of labels) {
    const all = statsOf(
      tallies.flatMap((t) => t.latencies),
      tallies.reduce((sum, t) => sum + t.statements, 0),
      tallies.reduce((sum, t) => sum + t.dbMs, 0),
    )
    summary[label] = [...tallies.map((t) => statsOf(t.latencies, t.statements, t.dbMs)), all]
  }
  labels.clear()
  return summary
}

async function answer(message: ClientMessage): Promise<void> {
  if (message.type === 'stop') {
    stopping = true
    return
  }
  try {
    if (message.type === 'run') {
      stopping = false
      process.send!({ id: message.id, outcome: await drive(message.run) })
    } else {
      process.send!({ id: message.id, summary: summarize() })
    }
  } catch (error) {
    process.send!({ id: message.id, error: (error as Error).message })
  }
}

if (process.send !== undefined) {
  process.on('message', (message: ClientMessage) => void answer(message))
  // Ctrl+C reaches the whole process group: the parent stops us (or goes away) when it has cleaned up.
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})
  process.on('disconnect', () => process.exit(0))
}
