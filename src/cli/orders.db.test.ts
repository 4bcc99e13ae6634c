import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import { describeEachDatabase } from '../../test/db.ts'
import type { BriskApp } from '../app.ts'
import { placeOrder, staffToken } from '../modules/orders/orders.staff.test-support.ts'
import { onlineShop, openApp, storeSender } from '../modules/orders/orders.test-support.ts'
import { runBrisk, STACK_LINE, tempDir } from './cli.test-support.ts'
import { listOrdersForCli, ordersTable } from './orders.ts'

describeEachDatabase('cli: brisk orders list', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = storeSender(() => app)

  test('prints the orders newest first as a table, or as JSON; filters by status and location', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const { token } = await staffToken(ctx.db, send, 'manager')
    const first = await placeOrder(send, [{ productId: products[0]!.id, quantity: 2 }], { manual: true })
    const second = await placeOrder(send, [{ productId: products[1]!.id, quantity: 1 }])
    const shipped = await send('POST', `/api/orders/${second.id}/fulfil`, { staff: token }, { trackingReference: 'DHL-42' })
    assert.equal(shipped.statusCode, 200, shipped.body)

    const all = await listOrdersForCli(app.services, { limit: 50 })
    const table = ordersTable(all).split('\n')
    assert.match(table[0]!, /^\s*id\s+placed \(UTC\)\s+status\s+location\s+lines\s+total\s+paid\s+refunded\s+email\s+tracking$/)
    assert.match(table[1]!, /^-+( +-+){9}$/)
    assert.equal(table.length, 4)
    assert.match(table[2]!, new RegExp(`^\\s*${second.id}\\s.*\\sfulfilled\\s+${location.code}\\s+1\\s+7\\.65\\s+7\\.65\\s+0\\.00\\s+guest@example\\.com\\s+DHL-42$`))
    assert.match(table[3]!, new RegExp(`^\\s*${first.id}\\s.*\\splaced\\s+${location.code}\\s+1\\s+10\\.40\\s+0\\.00\\s+0\\.00\\s+guest@example\\.com$`))

    const json = JSON.parse(JSON.stringify(await listOrdersForCli(app.services, { status: 'placed', location: location.code, limit: 50 })))
    assert.deepEqual(json.items.map((o: { id: number; locationCode: string }) => [o.id, o.locationCode]), [[first.id, location.code]])
    assert.equal(json.nextBefore, null)
    const page = await listOrdersForCli(app.services, { limit: 1 })
    assert.deepEqual(page.items.map((o) => o.id), [second.id])
    assert.match(ordersTable(page), new RegExp(`GET /api/orders\\?before=${second.id}`))
    assert.equal(ordersTable(await listOrdersForCli(app.services, { status: 'cancelled', limit: 50 })), 'No orders.')
    await assert.rejects(listOrdersForCli(app.services, { location: 'NOPE', limit: 50 }), /Unknown location "NOPE"/)
  })
})

test('brisk orders list has help and refuses bad options before any database work', async () => {
  const cwd = tempDir('brisk-cli-orders-')
  try {
    const env = { BRISK_DATABASE_URL: 'postgres://brisk@127.0.0.1:1/nowhere' }
    const [help, status, limit] = await Promise.all([
      runBrisk(['orders', 'list', '--help'], { cwd }),
      runBrisk(['orders', 'list', '--status', 'shipped'], { cwd, env }),
      runBrisk(['orders', 'list', '--limit', '0'], { cwd, env }),
    ])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: brisk orders list/)
    assert.match(help.stdout, /--status <status>[\s\S]*choices: "placed", "paid"[\s\S]*--location <code>[\s\S]*--limit <n>[\s\S]*--json/)
    for (const [run, expected] of [
      [status, /'shipped' is invalid.*Allowed choices are placed, paid, fulfilled, completed, cancelled/],
      [limit, /a limit: a whole number from 1 to 200/],
    ] as const) {
      assert.equal(run.code, 1)
      assert.match(run.stderr, expected)
      assert.doesNotMatch(run.stderr, STACK_LINE)
    }
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true })
  }
})
