/** Orders as the API shows them, from the records the statements read or write. */
import type { Static } from 'typebox'
import { Big, decimalString, money } from '../../infra/decimal.ts'
import { unitPriceText } from './orders.pricing.ts'
import type { OrderRecord } from './orders.records.ts'
import type { Order as OrderSchema } from './orders.schemas.ts'

export type Order = Static<typeof OrderSchema>

/** A decimal without trailing zeros, however the column stores it. */
const exact = (value: string) => decimalString(new Big(value))
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString())

export function toOrder(record: OrderRecord): Order {
  return {
    id: record.id,
    status: record.status,
    source: record.source,
    externalRef: record.external_ref,
    customerId: record.customer_id,
    email: record.email,
    locationId: record.location_id,
    shippingMethod:
      record.shipping_method_name === null ? null : { id: record.shipping_method_id, name: record.shipping_method_name },
    shippingAddress: record.shipping_address,
    lines: record.lines.map((l) => ({
      id: l.id,
      productId: l.product_id,
      sku: l.sku,
      name: l.name,
      unit: l.unit,
      quantity: exact(l.quantity),
      unitPrice: unitPriceText(new Big(l.unit_price)),
      taxRate: exact(l.tax_rate),
      netAmount: money(l.net_amount),
      taxAmount: money(l.tax_amount),
      total: money(l.total_amount),
      returnedQuantity: exact(l.returned_quantity),
    })),
    subtotal: money(record.subtotal),
    taxTotal: money(record.tax_total),
    shippingTotal: money(record.shipping_total),
    total: money(record.total),
    paymentProvider: record.payment_provider,
    paymentReference: record.payment_reference,
    paidTotal: money(record.paid_total),
    refundedTotal: money(record.refunded_total),
    trackingReference: record.tracking_reference,
    createdAt: iso(record.created_at)!,
    paidAt: iso(record.paid_at),
    fulfilledAt: iso(record.fulfilled_at),
    completedAt: iso(record.completed_at),
    cancelledAt: iso(record.cancelled_at),
  }
}
