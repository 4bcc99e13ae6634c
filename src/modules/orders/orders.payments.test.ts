import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AppError } from '../../infra/errors.ts'
import { builtInPaymentProviders, TEST_CARDS, testCardProvider } from './orders.payments.ts'

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise
    return 'approved'
  } catch (error) {
    assert.ok(error instanceof AppError)
    return error.code
  }
}

test('the test card simulator approves, declines and times out by card number', async () => {
  const provider = testCardProvider({ timeoutMs: 20 })
  const approved = await provider.authorize({ amount: '10.00', card: { number: '4242 4242 4242 4242' } })
  assert.equal(approved.paid, true)
  assert.match(approved.reference, /^test_[0-9a-f-]{36}$/)
  assert.equal(await codeOf(provider.authorize({ amount: '10.00', card: { number: TEST_CARDS.decline } })), 'ORDERS_PAYMENT_DECLINED')
  assert.equal(await codeOf(provider.authorize({ amount: '10.00', card: { number: '4111111111111111' } })), 'ORDERS_PAYMENT_DECLINED', 'any other number')
  assert.equal(await codeOf(provider.authorize({ amount: '10.00' })), 'ORDERS_PAYMENT_DECLINED', 'no card')
  const started = performance.now()
  assert.equal(await codeOf(provider.authorize({ amount: '10.00', card: { number: TEST_CARDS.timeout } })), 'ORDERS_PAYMENT_TIMEOUT')
  assert.ok(performance.now() - started >= 19, 'it waited for the timeout')
  await provider.void(approved)
  assert.deepEqual([...provider.voided], [approved.reference])
})

test('manual payment places the order unpaid; the built-ins are manual and test', async () => {
  const providers = builtInPaymentProviders({ testTimeoutMs: 10 })
  assert.deepEqual([...providers.keys()], ['manual', 'test'])
  const manual = await providers.get('manual')!.authorize({ amount: '99.00' })
  assert.deepEqual(manual, { provider: 'manual', reference: 'manual', paid: false })
})
