/** The order lifecycle, in one place: which change is allowed from which state. */
import { conflict } from '../../infra/errors.ts'
import type { OrderStatus } from './orders.tables.ts'

/** placed → paid → fulfilled → completed; cancelled before fulfilment. Returns need a fulfilled or completed order. */
export const ORDER_TRANSITIONS = {
  pay: { from: ['placed'], to: 'paid' },
  fulfil: { from: ['paid'], to: 'fulfilled' },
  complete: { from: ['fulfilled'], to: 'completed' },
  cancel: { from: ['placed', 'paid'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus }>

export type OrderAction = keyof typeof ORDER_TRANSITIONS

/** Orders a return may be taken against. */
export const RETURNABLE: readonly OrderStatus[] = ['fulfilled', 'completed']

export const canChange = (action: OrderAction, from: OrderStatus) => (ORDER_TRANSITIONS[action].from as readonly OrderStatus[]).includes(from)

/** The 409 of a change the current state does not allow: it names both states. */
export function notAllowed(orderId: number, action: OrderAction | 'return', from: OrderStatus) {
  const to = action === 'return' ? 'returned' : ORDER_TRANSITIONS[action].to
  return conflict('ORDERS_INVALID_TRANSITION', `Order ${orderId} is ${from}: it cannot become ${to}.`, { orderId, from, to, action })
}
