import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Progress } from '../progress.ts'
import type { BenchProduct } from '../catalog-read/setup.ts'

/** One HTTP server of the pair: A takes the price changes, B is read until it shows them. */
export interface Side {
  port: number
  token: string
}

export interface ChangeTimes {
  /** from A's answer to the change until B's first answer with the new price; Infinity when it never came */
  visibleMs: number[]
  /** how long A took to answer the change (its transaction and its evictions) */
  writeMs: number[]
  /** changes B showed on the first read after A answered */
  firstRead: number
  /** changes B had not shown when the timeout ran out */
  unseen: number
}

export interface Plan {
  changes: number
  timeoutMs: number
  progress: Progress
  signal: AbortSignal
}

type Send = (method: 'GET' | 'PATCH', path: string, body?: string) => Promise<Buffer>

/** Requests over one kept-alive connection to `side`; anything but a 2xx is an error. */
function client(side: Side): { send: Send; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const send: Send = (method, path, body) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${side.token}` }
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      const req = request({ agent, host: '127.0.0.1', port: side.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const answer = Buffer.concat(chunks)
          const status = res.statusCode ?? 0
          if (status < 200 || status > 299) reject(new Error(`${method} ${path}: ${status} ${answer.toString().slice(0, 300)}`))
          else resolve(answer)
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  return { send, close: () => agent.destroy() }
}

const priceIn = (body: Buffer) => (JSON.parse(body.toString()) as { price: string }).price

/**
 * Changes prices through A, one after another, and after each reads the product from B, back to
 * back, until B answers with the new price. B has every product in its memory tier beforehand
 * (it read them all), so what it serves until then is its stale copy.
 */
export async function measureChanges(a: Side, b: Side, products: BenchProduct[], plan: Plan): Promise<ChangeTimes> {
  const writer = client(a)
  const reader = client(b)
  const times: ChangeTimes = { visibleMs: [], writeMs: [], firstRead: 0, unseen: 0 }
  try {
    for (const p of products) await reader.send('GET', `/api/products/${p.id}`)
    for (let i = 0; i < plan.changes && !plan.signal.aborted; i++) {
      if (i % 50 === 0) plan.progress.detail(`change ${i + 1}/${plan.changes}`)
      const path = `/api/products/${products[i % products.length]!.id}`
      // a price no earlier change set: what B answers is either the old one or this
      const price = (1000 + i).toFixed(2)
      const sent = performance.now()
      await writer.send('PATCH', path, JSON.stringify({ price }))
      const answered = performance.now()
      times.writeMs.push(answered - sent)
      let reads = 0
      while (true) {
        const body = await reader.send('GET', path)
        reads++
        const now = performance.now()
        if (priceIn(body) === price) {
          times.visibleMs.push(now - answered)
          if (reads === 1) times.firstRead++
          break
        }
        if (now - answered > plan.timeoutMs) {
          times.visibleMs.push(Number.POSITIVE_INFINITY)
          times.unseen++
          break
        }
      }
    }
  } finally {
    writer.close()
    reader.close()
  }
  return times
}
