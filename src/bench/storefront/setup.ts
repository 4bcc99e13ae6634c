import { randomBytes } from 'node:crypto'
import type { BriskApp } from '../../app.ts'
import { seedDemoShop } from '../../demo/seed-demo.ts'
import type { LoadTarget } from '../http-load.ts'
import { STOREFRONT_COOKIES } from '../../modules/storefront/index.ts'
import { PAGE_KINDS } from './options.ts'

export interface Workload {
  /** every page requested: product pages (kind 0) and category pages (kind 1) */
  targets: LoadTarget[]
  /** the order the load client sends them in: a shuffled mix, so no connection walks one page */
  sequence: number[]
  /** the Cookie header of the bench's visitor: signed in, with a cart, a CSRF secret */
  cookie: string
  /** what the holes must show */
  visitor: { name: string; cartLines: number }
}

const CART_LINES = 3

/**
 * The demo shop (seeded through the app's services when the database has no product) and one
 * visitor signed in with a cart of a few lines: every page the bench reads has all its holes filled.
 */
export async function setUpWorkload(app: BriskApp, products: number): Promise<Workload> {
  const { db, services } = app
  await seedDemoShop(db, services, { onlyIfEmpty: true })
  const rows = await db.primary.selectFrom('product').select(['id', 'category_id']).where('active', '=', true).orderBy('id').limit(products).execute()
  const categories = await db.primary.selectFrom('category').select('id').orderBy('id').execute()
  const name = 'Bench Shopper'
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`
  const session = await services.customers.signUp({ email, name, password: randomBytes(16).toString('base64url') })
  const lines = rows.slice(0, CART_LINES).map((p) => ({ productId: p.id, quantity: '1' }))
  await services.orders.createCart({ customerId: session.customer.id }, lines)
  const csrf = randomBytes(32).toString('base64url')
  const targets: LoadTarget[] = [
    ...rows.map((p) => ({ path: `/p/${p.id}`, kind: PAGE_KINDS.indexOf('product') })),
    ...categories.map((c) => ({ path: `/c/${c.id}`, kind: PAGE_KINDS.indexOf('category') })),
  ]
  return {
    targets,
    sequence: shuffledRepeats(targets.length, 8),
    cookie: `${STOREFRONT_COOKIES.session}=${session.token}; ${STOREFRONT_COOKIES.csrf}=${csrf}`,
    visitor: { name, cartLines: lines.length },
  }
}

/** Every index `times` times, shuffled (a fixed seed: the same mix on every run). */
function shuffledRepeats(count: number, times: number): number[] {
  const sequence = Array.from({ length: count * times }, (_, i) => i % count)
  let seed = 42
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  for (let i = sequence.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[sequence[i], sequence[j]] = [sequence[j]!, sequence[i]!]
  }
  return sequence
}
