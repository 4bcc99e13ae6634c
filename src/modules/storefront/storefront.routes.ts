/**
 * The storefront's own Fastify scope: cookies, form bodies and HTML error pages live inside it, so
 * the JSON API beside it is untouched. Its routes are hidden from the OpenAPI document.
 */
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../../infra/db/database.ts'
import { AppError } from '../../infra/errors.ts'
import { type BadgeWatcherOptions, createBadgeWatcher } from './badge-watcher.ts'
import { fillHoles, type PageCache, renderEveryTime } from './page-cache.ts'
import { registerAccountPages } from './pages/account.pages.ts'
import { registerCartPages } from './pages/cart.pages.ts'
import { registerCatalogPages } from './pages/catalog.pages.ts'
import { registerCheckoutPages } from './pages/checkout.pages.ts'
import { registerPublicFiles } from './pages/public.pages.ts'
import type { Storefront, StorefrontServices } from './storefront.render.ts'
import { visitorOf, visitorSummaries } from './storefront.sessions.ts'
import { renderView } from './storefront.views.ts'

export interface StorefrontOptions {
  db: Db
  /** the two-pass page cache; default: every shell rendered per request */
  pageCache?: PageCache | undefined
  /** how long a guest cart's cookie lasts (the carts' own expiry, BRISK_CART_TTL_HOURS) */
  cartTtlHours?: number | undefined
  /** the stock badge watcher's timings (its timer starts with `storefront.badges.start()`) */
  badgeWatch?: BadgeWatcherOptions | undefined
}

const ERROR_PAGES: Record<string, { status: number; heading: string }> = {
  not_found: { status: 404, heading: 'Page not found' },
  forbidden: { status: 403, heading: 'That did not work' },
}

/** The holes of an error page: nothing of the visitor's, so an error costs no statement. */
const ERROR_HOLES = { customerName: '<a href="/account">Account</a>', cartCount: '', flash: '', csrf: '' }

function answerError(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) {
  const known = error instanceof AppError ? ERROR_PAGES[error.kind] : undefined
  const status = known?.status ?? (error instanceof AppError ? 400 : (error.statusCode ?? 500))
  let heading = known?.heading ?? 'Something went wrong'
  let message = error.message
  if (status >= 500) {
    request.log.error({ err: error }, 'storefront page failed')
    heading = 'Something went wrong on our side'
    message = `Please try again in a moment. (Request ${request.id})`
  }
  const html = fillHoles(renderView('error', { title: heading, heading, message }), ERROR_HOLES)
  return reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html)
}

async function storefrontScope(app: FastifyInstance, storefront: Storefront): Promise<void> {
  await app.register(cookie)
  await app.register(formbody, { bodyLimit: 64 * 1024 })
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true } as typeof route.schema
  })
  app.decorateRequest('visitor', null as never)
  app.addHook('onRequest', (request, _reply, done) => {
    request.visitor = visitorOf(request)
    done()
  })
  app.setErrorHandler(answerError)
  registerPublicFiles(app, storefront)
  registerCatalogPages(app, storefront)
  registerCartPages(app, storefront)
  registerCheckoutPages(app, storefront)
  registerAccountPages(app, storefront)
}

/** Mounts the shop's pages at `/` beside the API (`/api`, `/docs`, `/metrics`, `/health`). */
export async function registerStorefront(app: FastifyInstance, services: StorefrontServices, options: StorefrontOptions): Promise<Storefront> {
  const pageCache = options.pageCache ?? renderEveryTime
  const caching = 'enabled' in pageCache ? pageCache.enabled === true : pageCache !== renderEveryTime
  const badges = createBadgeWatcher(
    { db: options.db, cache: services.cache, enabled: caching, onlineStock: services.inventory.onlineStock, log: app.log },
    options.badgeWatch,
  )
  const storefront: Storefront = {
    services,
    pageCache,
    badges,
    summaries: visitorSummaries(options.db, services.cache),
    cartTtlHours: options.cartTtlHours ?? 72,
  }
  await app.register(storefrontScope, storefront)
  return storefront
}
