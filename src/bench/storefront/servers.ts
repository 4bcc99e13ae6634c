import Fastify from 'fastify'
import { type BriskApp, buildApp } from '../../app.ts'
import type { Config } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'
import type { LoadTarget } from '../http-load.ts'

export interface BenchServer {
  port: number
  close(): Promise<void>
}

/**
 * An app in this process over the bench's database, listening on loopback: the cache tiers in
 * memory only (no Redis), the page cache on or off. Silent: an access line per request would be
 * measured too.
 */
export async function startApp(config: Config, db: Db, pageCache: boolean, constants?: ReadonlyMap<string, Buffer>): Promise<BriskApp & BenchServer> {
  const app = await buildApp({ ...config, logLevel: 'silent', cache: true, redisUrl: undefined, pageCache }, { db, migrate: false })
  try {
    if (constants) registerConstantPages(app, constants)
    const url = new URL(await app.http.listen({ host: '127.0.0.1', port: 0 }))
    return Object.assign(app, { port: Number(url.port) })
  } catch (error) {
    await app.close()
    throw error
  }
}

export interface Page {
  status: number
  body: Buffer
  pageCache: string | null
  statements: number
}

/** One GET as the bench's visitor, read whole. */
export async function fetchPage(port: number, path: string, cookie: string): Promise<Page> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie } })
  const statements = /db;desc="(\d+) statements?"/.exec(response.headers.get('server-timing') ?? '')?.[1]
  return {
    status: response.status,
    body: Buffer.from(await response.arrayBuffer()),
    pageCache: response.headers.get('x-page-cache'),
    statements: statements === undefined ? 0 : Number(statements),
  }
}

const HTML_TYPE = 'text/html; charset=utf-8'

/** Where the app answers a page's bytes from a constant: `/bench/constant/p/42` for `/p/42`. */
export const CONSTANT_PREFIX = '/bench/constant'

/**
 * The "hooks only" row: each page's bytes from a constant, on a route of Brisk's app, so every
 * request passes its hooks (request id, statement count, metrics) but no storefront code. The map
 * is filled once the pages are known (routes cannot be added after listen).
 */
function registerConstantPages(app: BriskApp, constants: ReadonlyMap<string, Buffer>): void {
  app.http.get(`${CONSTANT_PREFIX}/*`, { schema: { hide: true } }, (request, reply) => {
    const bytes = constants.get(request.url.slice(CONSTANT_PREFIX.length))
    if (bytes === undefined) return reply.status(404).send()
    return reply.type(HTML_TYPE).send(bytes)
  })
}

/**
 * The floor: a bare Fastify in the same process answering each page's path with the bytes the app
 * sent the bench's visitor for it, from a constant — no cache lookup, no hole, no hook.
 */
export async function startFloor(pages: ReadonlyMap<string, Buffer>): Promise<BenchServer> {
  const app = Fastify({ logger: false })
  for (const [path, bytes] of pages) {
    app.get(path.replace(/\?.*$/, ''), (_request, reply) => {
      reply.type(HTML_TYPE).send(bytes)
    })
  }
  const url = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
  return { port: Number(url.port), close: () => app.close() }
}

export interface PageChecks {
  pages: number
  /** pages whose cached two-pass bytes equal the bytes of a full render for the same visitor */
  identical: number
  /** statements a warm cached page sent, summed over the pages (0: shell and hole data cached) */
  warmStatements: number
  /** cached pages answered from the shell cache on their second request */
  warmHits: number
  /** the visitor's name and cart count are in every page */
  holesFilled: number
}

/**
 * Every page read from the uncached app (a full render: the floor's bytes) and twice from the
 * cached one: the second, warm answer must be the same bytes, from the cache, with no statement.
 */
export async function capturePages(
  targets: readonly LoadTarget[],
  servers: { off: BenchServer; cached: BenchServer },
  visitor: { cookie: string; name: string; cartLines: number },
): Promise<{ floor: Map<string, Buffer>; checks: PageChecks }> {
  const floor = new Map<string, Buffer>()
  const checks: PageChecks = { pages: targets.length, identical: 0, warmStatements: 0, warmHits: 0, holesFilled: 0 }
  for (const { path } of targets) {
    const rendered = await fetchPage(servers.off.port, path, visitor.cookie)
    if (rendered.status !== 200) throw new Error(`GET ${path}: ${rendered.status} ${rendered.body.toString().slice(0, 300)}`)
    floor.set(path, rendered.body)
    await fetchPage(servers.cached.port, path, visitor.cookie)
    const warm = await fetchPage(servers.cached.port, path, visitor.cookie)
    if (warm.body.equals(rendered.body)) checks.identical++
    if (warm.pageCache === 'hit') checks.warmHits++
    checks.warmStatements += warm.statements
    const html = warm.body.toString()
    if (html.includes(`Hi, ${visitor.name}<`) && html.includes(`class="badge">${visitor.cartLines}<`)) checks.holesFilled++
  }
  return { floor, checks }
}
