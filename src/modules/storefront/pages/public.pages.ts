/**
 * What has no hole at all, so a shared cache may keep it: the stylesheet (its URL carries its
 * version), robots.txt and the sitemap.
 */
import type { FastifyInstance } from 'fastify'
import { LISTING_TAGS } from '../page-cache-tags.ts'
import { escapeHtml, type Storefront } from '../storefront.render.ts'
import { STORE_CSS_URL, storeCss } from '../storefront.views.ts'

/** The sitemap lists at most this many products (the sitemap protocol's limit is 50,000 URLs). */
const SITEMAP_PRODUCTS = 10_000
const ORIGIN_MARK = '{{origin}}'

async function sitemapXml(storefront: Storefront, origin: string): Promise<string> {
  const { catalog } = storefront.services
  const paths = ['/', ...(await catalog.listCategories()).map((c) => `/c/${c.id}`)]
  let after: number | undefined
  while (paths.length < SITEMAP_PRODUCTS) {
    const page = await catalog.listProducts({ active: true, after, limit: 500 })
    paths.push(...page.items.map((p) => `/p/${p.id}`))
    if (page.nextAfter === null) break
    after = page.nextAfter
  }
  const urls = paths.map((p) => `  <url><loc>${origin}${p}</loc></url>`).join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>\n`
}

export function registerPublicFiles(app: FastifyInstance, storefront: Storefront): void {
  app.get('/assets/store.css', (request, reply) => {
    // only the current version's URL may be kept for a year; an old or missing ?v= is revalidated
    const current = request.url === STORE_CSS_URL
    return reply
      .type('text/css; charset=utf-8')
      .header('cache-control', current ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
      .send(storeCss)
  })
  app.get('/robots.txt', (request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(
        `User-agent: *\nDisallow: /cart\nDisallow: /checkout\nDisallow: /account\nDisallow: /orders/\nDisallow: /api/\n` +
          `Sitemap: ${request.protocol}://${request.host}/sitemap.xml\n`,
      ),
  )
  app.get('/sitemap.xml', async (request, reply) => {
    // cached once, whatever the Host: the origin is put in per request, like a hole
    const shell = await storefront.pageCache.shell({
      key: 'sitemap',
      tags: [LISTING_TAGS.products, LISTING_TAGS.categories],
      render: () => sitemapXml(storefront, ORIGIN_MARK),
    })
    const origin = escapeHtml(`${request.protocol}://${request.host}`)
    return reply.type('application/xml; charset=utf-8').header('cache-control', 'public, max-age=3600').send(shell.html.replaceAll(ORIGIN_MARK, origin))
  })
}
