import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { seedDemoShop } from '../../demo/seed-demo.ts'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import type { Db } from '../../infra/db/database.ts'
import { type PageCache, registerStorefront, type ShellSpec } from './index.ts'
import { csrfOf, demoShopApp, Shopper } from './storefront.test-support.ts'

describeEachDatabase('storefront pages', (ctx) => {
  let app: BriskApp
  let ids: { cola: number; cheddar: number; drinks: number }

  // resetDb runs before each test: each test seeds the demo shop itself (one transaction)
  const seeded = async () => {
    app ??= await demoShopApp(ctx.db)
    await seedDemoShop(ctx.db, app.services, { onlyIfEmpty: true })
    const product = (sku: string) => ctx.db.primary.selectFrom('product').select(['id', 'category_id']).where('sku', '=', sku).executeTakeFirstOrThrow()
    const cola = await product('SOF-0001')
    const cheddar = await product('CHE-0301')
    ids = { cola: cola.id, cheddar: cheddar.id, drinks: cola.category_id! }
    return app
  }
  after(async () => {
    await app?.close()
  })

  test('a flash message rides in the redirect, signed for its visitor: its page is a cached shell that sets no cookie; forged or forwarded, it shows nothing', async () => {
    await seeded()
    const shopper = new Shopper(app)
    await shopper.get(`/p/${ids.cola}`)
    await shopper.get(`/p/${ids.cola}`) // the shell is cached now
    const posted = await shopper.post('/cart/add', { productId: String(ids.cola), quantity: '2' })
    assert.equal(posted.status, 303)
    const location = String(posted.headers['location'])
    assert.match(location, new RegExp(`^/p/${ids.cola}\\?notice=`))
    const shown = await shopper.get(location)
    assert.equal(shown.headers['x-page-cache'], 'hit')
    assert.deepEqual(shown.setCookies, [])
    assert.match(shown.body, /class="flash flash-ok"/)
    const other = new Shopper(app)
    await other.get('/')
    assert.doesNotMatch((await other.get(location)).body, /class="flash/, "another visitor's notice shows nothing")
    const forged = location.replace(/notice=o\.[\w-]+\./, `notice=o.${Buffer.from('Your account is locked: call us').toString('base64url')}.`)
    assert.doesNotMatch((await shopper.get(forged)).body, /class="flash/, 'a crafted notice shows nothing')
  })

  test('every page answers with the demo shop, as HTML with the holes filled', async () => {
    await seeded()
    const shopper = new Shopper(app)
    const pages = ['/', `/c/${ids.drinks}`, `/c/${ids.drinks}?sort=price&page=2`, `/p/${ids.cola}`, `/p/${ids.cheddar}`, '/search?q=cola', '/search', '/cart', '/sign-in', '/sign-up']
    for (const url of pages) {
      const page = await shopper.get(url)
      assert.equal(page.status, 200, `${url}: ${page.body.slice(0, 300)}`)
      assert.match(String(page.headers['content-type']), /^text\/html/)
      assert.doesNotMatch(page.body, /<!--hole:/, `${url} has no marker left`)
      assert.match(String(page.headers['cache-control']), /^private/)
    }
    const product = await shopper.get(`/p/${ids.cola}`)
    assert.match(product.body, /Cola \(Classic\)/)
    assert.match(product.body, /box of 12/)
    assert.match(product.body, /In stock/)
    assert.equal(product.headers['cache-control'], 'private, no-cache')
    assert.match((await shopper.get(`/c/${ids.drinks}`)).body, /Lemonade/)
    assert.match((await shopper.get('/search?q=cheddar')).body, /Cheddar \(Organic\)/)
    assert.equal((await shopper.get('/p/999999')).status, 404)
    assert.equal((await shopper.get('/account')).status, 303, 'a guest is sent to sign in')
    const cart = await shopper.get('/cart')
    assert.equal(cart.headers['cache-control'], 'private, no-store')

    for (const url of ['/robots.txt', '/sitemap.xml']) {
      const page = await shopper.get(url)
      assert.equal(page.status, 200)
      assert.match(String(page.headers['cache-control']), /^public/)
      assert.deepEqual(page.setCookies, [])
    }
    assert.match((await shopper.get('/sitemap.xml')).body, new RegExp(`/p/${ids.cola}<`))
    const cssUrl = /href="(\/assets\/store\.css\?v=\w+)"/.exec(product.body)?.[1]
    const css = await shopper.get(cssUrl!)
    assert.equal(css.status, 200)
    assert.match(String(css.headers['cache-control']), /max-age=31536000, immutable/)
  })

  test('the API beside the pages keeps its JSON answers', async () => {
    await seeded()
    const missing = await app.http.inject({ method: 'GET', url: '/api/store/cart' })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().error.code, 'ORDERS_CART_NOT_FOUND')
    assert.equal((await app.http.inject({ method: 'GET', url: '/api/units' })).statusCode, 200)
  })

  test('a new visitor gets a CSRF cookie once; later pages set no cookie', async () => {
    await seeded()
    const shopper = new Shopper(app)
    const first = await shopper.get(`/p/${ids.cola}`)
    assert.equal(first.setCookies.length, 1)
    assert.match(first.setCookies[0]!, /^brisk_csrf=[\w-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/)
    const again = await shopper.get(`/p/${ids.cola}`)
    assert.deepEqual(again.setCookies, [])
    assert.equal(csrfOf(first.body), csrfOf(again.body), 'one token per session')
  })

  test('the shell of a page is byte-identical for a signed-in shopper with a cart and a guest', async () => {
    await seeded()
    const shells: string[] = []
    const recording = {
      async shell(spec: ShellSpec) {
        const html = await spec.render()
        shells.push(html)
        return { html, hit: false }
      },
      async evictTags() {},
    }
    const recorded = await appWithShopAt(ctx.db, '/shop', recording)
    try {
      const signedIn = new Shopper(recorded)
      await signedIn.get('/sign-up')
      await signedIn.submit('/sign-up', { name: 'Zoë Secretname', email: 'zoe@example.com', password: 'correct horse battery' })
      await signedIn.get(`/p/${ids.cola}`)
      await signedIn.submit('/cart/add', { productId: String(ids.cola), unit: 'box12', quantity: '2' })
      const guest = new Shopper(recorded)
      const pageOfSignedIn = await signedIn.get(`/shop/p/${ids.cheddar}`)
      const pageOfGuest = await guest.get(`/shop/p/${ids.cheddar}`)
      assert.equal(shells.length, 2)
      assert.equal(shells[0], shells[1], 'the same shell bytes for both visitors')
      for (const secret of ['Zoë', 'Secretname', csrfOf(pageOfSignedIn.body)!, csrfOf(pageOfGuest.body)!, ...signedIn.cookies.values()]) {
        assert.ok(!shells[0]!.includes(secret), `the shell holds no ${secret}`)
      }
      assert.match(pageOfSignedIn.body, /Hi, Zoë Secretname/)
      assert.match(pageOfSignedIn.body, /class="badge">1</)
      assert.match(pageOfGuest.body, /Sign in/)
      assert.match(pageOfGuest.body, /class="badge">0</)
    } finally {
      await recorded.close()
    }
  })

  test('the hole data costs one statement, and none once cached: a cached page sends no statement', async () => {
    await seeded()
    const shells = new Map<string, string>()
    const memory = {
      async shell(spec: ShellSpec) {
        const cached = shells.get(spec.key)
        if (cached !== undefined) return { html: cached, hit: true }
        const html = await spec.render()
        shells.set(spec.key, html)
        return { html, hit: false }
      },
      async evictTags() {},
    }
    const cachedApp = await appWithShopAt(ctx.db, '/cached', memory)
    after(() => cachedApp.close())
    const shopper = new Shopper(cachedApp)
    await shopper.get('/sign-up')
    await shopper.submit('/sign-up', { name: 'Ana', email: 'ana@example.com', password: 'correct horse battery' })
    const url = `/cached/p/${ids.cola}`
    assert.equal((await shopper.get(url)).headers['x-page-cache'], 'miss')
    const warm = await shopper.get(url)
    assert.equal(warm.headers['x-page-cache'], 'hit')
    assert.equal(statementsOf({ headers: warm.headers }), 0, 'shell and hole data cached')
    assert.match(warm.body, /Hi, Ana/)
    await cachedApp.services.cache.evict('visitor', await visitorIds(shopper))
    const cold = await shopper.get(url)
    assert.equal(statementsOf({ headers: cold.headers }), 1, 'the visitor summary: one statement')
    assert.match(cold.body, /Hi, Ana/)
  })

  test('a POST without a valid CSRF token is refused with a 403 page and writes nothing', async () => {
    await seeded()
    const shopper = new Shopper(app)
    await shopper.get(`/p/${ids.cola}`)
    const countCarts = async () => Number((await ctx.db.primary.selectFrom('cart').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
    const other = new Shopper(app)
    const othersToken = csrfOf((await other.get(`/p/${ids.cola}`)).body)!
    for (const csrf of ['', 'forged', othersToken]) {
      const refused = await shopper.post('/cart/add', { _csrf: csrf, productId: String(ids.cola), unit: 'each', quantity: '1' })
      assert.equal(refused.status, 403)
      assert.match(String(refused.headers['content-type']), /^text\/html/)
      assert.match(refused.body, /did not come from this shop/)
    }
    const fresh = new Shopper(app)
    const noCookie = await fresh.post('/cart/add', { productId: String(ids.cola), unit: 'each', quantity: '1' })
    assert.equal(noCookie.status, 403)
    const signUp = await fresh.post('/sign-up', { name: 'Eve', email: 'eve@example.com', password: 'correct horse battery' })
    assert.equal(signUp.status, 403)
    assert.equal(await countCarts(), 0)
    assert.equal((await ctx.db.primary.selectFrom('customer').select('id').execute()).length, 0)
  })
})

/** The app with a second storefront under `prefix` on `pageCache` (the app's own, at `/`, renders every time). */
async function appWithShopAt(db: Db, prefix: string, pageCache: PageCache): Promise<BriskApp> {
  const app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db, migrate: false })
  await app.http.register(async (scope) => {
    await registerStorefront(scope, app.services, { db, pageCache })
  }, { prefix })
  return app
}

async function visitorIds(shopper: Shopper): Promise<string[]> {
  const { createHash } = await import('node:crypto')
  const hash = (value: string | undefined) => (value === undefined ? '' : createHash('sha256').update(value).digest('hex'))
  return [`${hash(shopper.cookies.get('brisk_session'))}.${hash(shopper.cookies.get('brisk_cart'))}`]
}
