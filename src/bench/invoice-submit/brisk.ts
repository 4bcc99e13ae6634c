import { Agent, request } from 'node:http'
import { buildApp } from '../../app.ts'
import type { Config } from '../../config/config.ts'
import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { createAccessService, SYSTEM_PRINCIPAL } from '../../modules/access/index.ts'
import { createSalesService } from '../../modules/sales/index.ts'
import { counted, type Op } from './driver.ts'
import { CASH_TENDERED, type Options } from './options.ts'
import type { Template } from './setup.ts'

const cash = [{ method: 'cash' as const, amount: CASH_TENDERED }]
const invoiceLines = (t: Template) => t.lines.map((l) => ({ productId: l.product.id, quantity: l.quantity }))

/** Brisk through its sales service, in this process, reading master data through `cache`. */
export function serviceOp(db: Db, cache: Cache, locationId: number, flow: Options['flow']): Op {
  const sales = createSalesService(db, { cache })
  return counted(async (t) => {
    if (flow === 'checkout') {
      return sales.createInvoice(SYSTEM_PRINCIPAL, { locationId, lines: invoiceLines(t), payments: cash, submit: true })
    }
    const draft = await sales.createInvoice(SYSTEM_PRINCIPAL, { locationId, lines: invoiceLines(t) })
    return sales.submitInvoice(SYSTEM_PRINCIPAL, draft.body.id, { payments: cash })
  })
}

export type BenchApp = Awaited<ReturnType<typeof buildApp>>

/**
 * Brisk through its HTTP API on 127.0.0.1, the cache on (memory only: never the configured Redis,
 * where the bench's products would mix with a shop's) or off; the caller closes `app`.
 */
export async function httpOp(config: Config, db: Db, locationId: number, options: Pick<Options, 'flow' | 'answer'>, cache: boolean) {
  const app = await buildApp({ ...config, logLevel: 'silent', cache, redisUrl: undefined }, { db, migrate: false })
  try {
    return { app, op: await httpClient(app, db, locationId, options) }
  } catch (error) {
    await app.close()
    throw error
  }
}

async function httpClient(app: BenchApp, db: Db, locationId: number, options: Pick<Options, 'flow' | 'answer'>): Promise<Op> {
  const { flow } = options
  const { token } = await createAccessService(db).createToken({ name: 'bench', role: 'admin' })
  const post = poster(new URL(await app.http.listen({ host: '127.0.0.1', port: 0 })), token, options.answer)
  // Request bodies are serialized once per template: the client is not what is measured.
  const sale = flow === 'checkout' ? { payments: cash, submit: true } : {}
  const bodies = new Map<Template, string>()
  const bodyOf = (t: Template) => {
    let body = bodies.get(t)
    if (body === undefined) {
      body = JSON.stringify({ locationId, lines: invoiceLines(t), ...sale })
      bodies.set(t, body)
    }
    return body
  }
  const submitBody = JSON.stringify({ payments: cash })
  return async (t) => {
    if (flow === 'checkout') return post('/api/sales/invoices', bodyOf(t))
    const draft = await post('/api/sales/invoices', bodyOf(t))
    const { id } = JSON.parse(draft.body.toString()) as { id: number }
    const done = await post(`/api/sales/invoices/${id}/submit`, submitBody)
    return { statements: draft.statements + done.statements, dbMs: draft.dbMs + done.dbMs }
  }
}

interface Posted {
  body: Buffer
  statements: number
  dbMs: number
}

/**
 * POSTs JSON over kept-alive connections with node:http, which costs this process a fraction of
 * what fetch does; the response is read whole but parsed only where the bench needs a value.
 */
function poster(base: URL, token: string, answer: Options['answer']): (path: string, body: string) => Promise<Posted> {
  const agent = new Agent({ keepAlive: true })
  const authorization = `Bearer ${token}`
  const prefer = answer === 'minimal' ? { prefer: 'return=minimal' } : {}
  return (path, body) =>
    new Promise((resolve, reject) => {
      const headers = { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...prefer }
      const req = request({ agent, host: base.hostname, port: base.port, method: 'POST', path, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const answer = Buffer.concat(chunks)
          const status = res.statusCode ?? 0
          if (status < 200 || status > 299) return reject(new Error(`${status} ${answer.toString().slice(0, 300)}`))
          const timing = /db;desc="(\d+) statements?";dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''))
          resolve({ body: answer, statements: Number(timing?.[1] ?? 0), dbMs: Number(timing?.[2] ?? 0) })
        })
      })
      req.on('error', reject)
      req.end(body)
    })
}
