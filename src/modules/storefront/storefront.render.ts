/**
 * The two passes of every storefront page. Pass one: the shell, from the page cache (or rendered),
 * holding hole markers where the visitor's values go. Pass two: the holes filled from the visitor
 * summary (cached: no statement) and the request's cookies, escaped here, in the same response.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Cache } from '../../infra/cache/cache.ts'
import type { CatalogService } from '../catalog/index.ts'
import type { CustomersService } from '../customers/index.ts'
import type { InventoryService } from '../inventory/index.ts'
import type { OrdersService } from '../orders/index.ts'
import type { BadgeWatcher } from './badge-watcher.ts'
import { compileShell, fillHoles, fillShell, type HoleName, type PageCache, type ShellSpec } from './page-cache.ts'
import { csrfTokenOf } from './storefront.csrf.ts'
import { sendVisitorCookies, type VisitorSummaries, type VisitorSummary } from './storefront.sessions.ts'
import { renderView } from './storefront.views.ts'

export interface StorefrontServices {
  catalog: CatalogService
  inventory: InventoryService
  orders: OrdersService
  customers: CustomersService
  cache: Cache
}

export interface Storefront {
  services: StorefrontServices
  pageCache: PageCache
  /** evicts product pages whose stock badge changed (badge-watcher.ts) */
  badges: BadgeWatcher
  summaries: VisitorSummaries
  cartTtlHours: number
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

/** The visitor's holes as HTML: every value escaped. */
export function holesOf(request: FastifyRequest, summary: VisitorSummary): Partial<Record<HoleName, string>> {
  const visitor = request.visitor
  const name = summary.customerName
  return {
    customerName: name === null ? '<a href="/sign-in">Sign in</a>' : `<a href="/account">Hi, ${escapeHtml(name)}</a>`,
    cartCount: String(summary.cartLines),
    flash: visitor.flash
      ? `<div class="flash flash-${visitor.flash.kind}" role="${visitor.flash.kind === 'error' ? 'alert' : 'status'}">${escapeHtml(visitor.flash.text)}</div>`
      : '',
    csrf: escapeHtml(csrfTokenOf(visitor)),
  }
}

function sendHtml(request: FastifyRequest, reply: FastifyReply, html: string | Buffer, cacheControl: string, status = 200) {
  sendVisitorCookies(request, reply)
  return reply.status(status).header('cache-control', cacheControl).header('vary', 'Cookie').type('text/html; charset=utf-8').send(html)
}

/** A page that is the same for every visitor but its holes: the shell cached, `private, no-cache` (it holds the visitor's values). */
export async function sendShellPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply, spec: ShellSpec) {
  // a shell in memory costs no promise of its own; else the shell and the summary are looked for at once
  let compiled = storefront.pageCache.cachedShell?.(spec)
  let summary: VisitorSummary
  if (compiled !== undefined) {
    summary = await storefront.summaries.summaryOf(request.visitor)
    reply.header('x-page-cache', 'hit')
  } else {
    const [shell, found] = await Promise.all([storefront.pageCache.shell(spec), storefront.summaries.summaryOf(request.visitor)])
    compiled = compileShell(shell.html)
    summary = found
    reply.header('x-page-cache', shell.hit ? 'hit' : 'miss')
  }
  return sendHtml(request, reply, fillShell(compiled, holesOf(request, summary)), 'private, no-cache')
}

/**
 * A per-visitor page (cart, checkout, account, an order): rendered for this request only, never
 * cached anywhere. `summary`: what the page read already, so the holes cost nothing more.
 */
export async function sendPrivatePage(
  storefront: Storefront,
  request: FastifyRequest,
  reply: FastifyReply,
  page: { view: string; data: Record<string, unknown>; summary?: VisitorSummary; status?: number },
) {
  const summary = page.summary ?? (await storefront.summaries.summaryOf(request.visitor))
  const html = fillHoles(renderView(page.view, page.data), holesOf(request, summary))
  return sendHtml(request, reply, html, 'private, no-store', page.status)
}

/** After a form: POST → 303 → GET. */
export function redirectAfterPost(reply: FastifyReply, location: string) {
  return reply.status(303).header('cache-control', 'no-store').header('location', location).send()
}
