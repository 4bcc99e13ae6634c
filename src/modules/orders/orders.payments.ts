/**
 * The payment step of checkout, behind a small provider interface. A provider is called before the
 * order's statement runs and never inside a transaction: an authorization that the order then
 * cannot use (sold out, prices changed) is voided.
 *
 * Built in: `manual` (pay on delivery or by bank transfer: the order is placed unpaid) and `test`,
 * a card simulator for tests and demos that answers by card number.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { paymentDeclined, upstreamTimeout } from '../../infra/errors.ts'

export interface CardInput {
  number: string
}

export interface PaymentRequest {
  /** the order total, exact, in the shop's currency */
  amount: string
  /** the request's Idempotency-Key, when it has one: a real provider takes it so a retry charges once */
  idempotencyKey?: string | undefined
  card?: CardInput | undefined
}

/** An approved payment: what the order records of it. */
export interface Authorization {
  provider: string
  /** the provider's reference, shown to staff; never card data */
  reference: string
  /** true when the money is taken (the order is placed paid) */
  paid: boolean
}

export interface PaymentProvider {
  readonly name: string
  /** approves or throws an AppError saying why not */
  authorize(request: PaymentRequest): Promise<Authorization>
  /** releases an authorization the order did not use */
  void(authorization: Authorization): Promise<void>
}

/** Test card numbers (the `test` provider): approve, decline, or never answer. */
export const TEST_CARDS = {
  approve: '4242424242424242',
  decline: '4000000000000002',
  timeout: '4000000000000119',
} as const

export const declined = () =>
  paymentDeclined('ORDERS_PAYMENT_DECLINED', 'The card was declined; nothing was ordered. Try another card or payment method.', {
    field: '/payment/card/number',
  })

export const paymentTimedOut = (provider: string) =>
  upstreamTimeout('ORDERS_PAYMENT_TIMEOUT', `The payment provider "${provider}" did not answer in time; nothing was ordered or charged.`, {
    provider,
  })

const manual: PaymentProvider = {
  name: 'manual',
  async authorize() {
    return { provider: 'manual', reference: 'manual', paid: false }
  },
  async void() {},
}

/** The card simulator: `TEST_CARDS`; any other number is declined. Voids are remembered for tests. */
export function testCardProvider(options: { timeoutMs: number }) {
  const voided = new Set<string>()
  const provider: PaymentProvider & { voided: ReadonlySet<string> } = {
    name: 'test',
    voided,
    async authorize(request) {
      const number = request.card?.number.replace(/[\s-]/g, '')
      if (number === TEST_CARDS.timeout) {
        await sleep(options.timeoutMs)
        throw paymentTimedOut('test')
      }
      if (number !== TEST_CARDS.approve) throw declined()
      return { provider: 'test', reference: `test_${randomUUID()}`, paid: true }
    },
    async void(authorization) {
      voided.add(authorization.reference)
    },
  }
  return provider
}

export type PaymentProviders = ReadonlyMap<string, PaymentProvider>

export function builtInPaymentProviders(options: { testTimeoutMs: number }): PaymentProviders {
  const providers: PaymentProvider[] = [manual, testCardProvider({ timeoutMs: options.testTimeoutMs })]
  return new Map(providers.map((p) => [p.name, p]))
}
