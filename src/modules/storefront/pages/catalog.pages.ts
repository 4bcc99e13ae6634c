/**
 * The browsing pages: home, category listing, search and product. Each is a cached shell, tagged
 * with the objects it shows so a change evicts exactly the pages that show it; the data comes
 * from the catalog's shared cached objects and the reader (replicas), never the visitor.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Big } from '../../../infra/decimal.ts'
import { AppError } from '../../../infra/errors.ts'
import type { Product } from '../../catalog/index.ts'
import { badgeTag, categoryTag, LISTING_TAGS, productTag, stockBadgeOf } from '../page-cache-tags.ts'
import { idParam, pageNotFound, pageNumberOf, queryOf } from '../storefront.forms.ts'
import { type Storefront, sendShellPage } from '../storefront.render.ts'
import { renderView } from '../storefront.views.ts'

export const PAGE_SIZE = 24
const FEATURED = 8

export const SORTS = [
  { value: 'name', label: 'Name' },
  { value: 'price', label: 'Price: low to high' },
] as const
type Sort = (typeof SORTS)[number]['value']

/** Every page shows the category navigation; a listing is evicted by any product change (page-cache-tags.ts). */
const LISTING = [LISTING_TAGS.products, LISTING_TAGS.categories]

/** The numbered-page links of a listing: `href(page)` builds each. */
function pagerOf(page: number, hasNext: boolean, href: (page: number) => string) {
  return { page, previous: page > 1 ? href(page - 1) : null, next: hasNext ? href(page + 1) : null }
}

async function home(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const { catalog } = storefront.services
  return sendShellPage(storefront, request, reply, {
    key: 'home',
    tags: LISTING,
    async render() {
      const [categories, featured] = await Promise.all([catalog.listCategories(), catalog.listProducts({ active: true, limit: FEATURED })])
      return renderView('home', { title: 'Home', categories, products: featured.items })
    },
  })
}

async function categoryPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const { catalog } = storefront.services
  const id = idParam(request, 'categoryId')
  const query = queryOf(request)
  const sort: Sort = query['sort'] === 'price' ? 'price' : 'name'
  const page = pageNumberOf(query)
  return sendShellPage(storefront, request, reply, {
    key: `category:${id}:sort=${sort}:page=${page}`,
    tags: [categoryTag(id), ...LISTING],
    async render() {
      const categories = await catalog.listCategories()
      const category = categories.find((c) => c.id === id)
      if (!category) throw pageNotFound()
      const listed = await catalog.listProducts({ categoryId: id, active: true, sort, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE })
      return renderView('category', {
        title: category.name,
        categories,
        activeCategoryId: id,
        category,
        products: listed.items,
        sort,
        sortOptions: SORTS,
        pager: pagerOf(page, listed.nextAfter !== null, (p) => `/c/${id}?sort=${sort}&page=${p}`),
      })
    },
  })
}

async function searchPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const { catalog } = storefront.services
  const query = queryOf(request)
  const q = (query['q'] ?? '').slice(0, 100)
  const page = pageNumberOf(query)
  return sendShellPage(storefront, request, reply, {
    // the query exactly as typed: the page shows it back, so "Cola" and "cola" are two shells
    key: `search:q=${encodeURIComponent(q)}:page=${page}`,
    tags: LISTING,
    async render() {
      const [categories, listed] = await Promise.all([
        catalog.listCategories(),
        q === '' ? { items: [], nextAfter: null } : catalog.listProducts({ q, active: true, sort: 'name', offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }),
      ])
      return renderView('search', {
        title: q ? `Search: ${q}` : 'Search',
        categories,
        query: q,
        products: listed.items,
        pager: pagerOf(page, listed.nextAfter !== null, (p) => `/search?q=${encodeURIComponent(q)}&page=${p}`),
      })
    },
  })
}

/** A product that does not exist is a missing page, not an error. */
function unlessNotFound(error: unknown): undefined {
  if (error instanceof AppError && error.kind === 'not_found') return undefined
  throw error
}

/** The badge from the stock in the locations that sell online (the thresholds the badge watcher evicts by). */
const BADGES = {
  in_stock: { level: 'in', label: 'In stock' },
  few_left: { level: 'few', label: 'Only a few left' },
  sold_out: { level: 'out', label: 'Sold out' },
} as const

/** The base unit first, then the product's other units, each with the price of one. */
function unitPrices(product: Product) {
  return [
    { unit: product.baseUnit, price: product.price },
    ...product.units.map((u) => ({ unit: u.unit, price: new Big(product.price).times(u.factor).toFixed() })),
  ]
}

async function productPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const { catalog, inventory } = storefront.services
  const id = idParam(request, 'productId')
  return sendShellPage(storefront, request, reply, {
    key: `product:${id}`,
    tags: [productTag(id), badgeTag(id), LISTING_TAGS.categories],
    async render() {
      // recorded so the badge watcher can tell when the stock crosses a threshold (badge-watcher.ts)
      storefront.badges.rendering(id)
      const [product, categories, stock] = await Promise.all([
        catalog.getProduct(id).catch(unlessNotFound),
        catalog.listCategories(),
        inventory.onlineStock([id]),
      ])
      if (!product?.active) throw pageNotFound()
      const badge = stockBadgeOf(Number(stock.get(id) ?? '0'))
      storefront.badges.rendered(id, badge)
      const fractional = product.baseUnit === 'kg' || product.units.some((u) => !Number.isInteger(Number(u.factor)))
      return renderView('product', {
        title: product.name,
        description: product.description || `${product.name}: ${product.sku}`,
        categories,
        activeCategoryId: product.category?.id,
        product,
        units: unitPrices(product),
        stock: BADGES[badge],
        step: fractional ? 'any' : '1',
        minQuantity: fractional ? '0.001' : '1',
      })
    },
  })
}

export function registerCatalogPages(app: import('fastify').FastifyInstance, storefront: Storefront): void {
  app.get('/', (request, reply) => home(storefront, request, reply))
  app.get('/c/:categoryId', (request, reply) => categoryPage(storefront, request, reply))
  app.get('/search', (request, reply) => searchPage(storefront, request, reply))
  app.get('/p/:productId', (request, reply) => productPage(storefront, request, reply))
}

