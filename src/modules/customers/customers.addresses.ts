import type { Db, Executor } from '../../infra/db/database.ts'
import { invalid, notFound } from '../../infra/errors.ts'
import { COUNTRY_CODES } from './customers.countries.ts'
import * as repo from './customers.repository.ts'
import type { CustomerAddressRow } from './customers.tables.ts'

export interface Address {
  id: number
  label: string | null
  name: string
  line1: string
  line2: string | null
  city: string
  postalCode: string
  /** ISO 3166-1 alpha-2 */
  country: string
  phone: string | null
  isDefault: boolean
  createdAt: string
}

export interface AddressInput {
  label?: string | null
  name: string
  line1: string
  line2?: string | null
  city: string
  postalCode: string
  country: string
  phone?: string | null
  isDefault?: boolean
}

export type AddressPatch = Partial<AddressInput>

/** Whose addresses: the signed-in customer (see CustomerSession). */
interface Owner {
  customer: { id: number }
}

function toAddress(row: Omit<CustomerAddressRow, 'customer_id'>): Address {
  return {
    id: row.id,
    label: row.label,
    name: row.name,
    line1: row.line1,
    line2: row.line2,
    city: row.city,
    postalCode: row.postal_code,
    country: row.country,
    phone: row.phone,
    isDefault: row.is_default,
    createdAt: row.created_at.toISOString(),
  }
}

function checkCountry(country: string | undefined): void {
  if (country !== undefined && !COUNTRY_CODES.has(country)) {
    throw invalid('CUSTOMERS_UNKNOWN_COUNTRY', `${country} is not an ISO 3166-1 alpha-2 country code.`, {
      field: '/country',
      country,
    })
  }
}

/** The columns a patch sets; a field left out keeps its value, null clears an optional one. */
function columnsOf(patch: AddressPatch): Partial<repo.AddressValues> {
  const columns: Partial<repo.AddressValues> = {
    label: patch.label,
    name: patch.name,
    line1: patch.line1,
    line2: patch.line2,
    city: patch.city,
    postal_code: patch.postalCode,
    country: patch.country,
    phone: patch.phone,
    is_default: patch.isDefault,
  }
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined))
}

const addressNotFound = (id: number) => notFound('CUSTOMERS_ADDRESS_NOT_FOUND', `No address ${id} in this account.`)

/**
 * A customer's address book. Making an address the default takes the others' flag away in the same
 * transaction, under the customer's row lock, so two at once cannot both end up the default.
 */
export function createAddressBook(db: Db) {
  async function asDefault<T>(owner: Owner, exceptId: number | null, write: (trx: Executor) => Promise<T>): Promise<T> {
    return db.primary.transaction().execute(async (trx) => {
      await repo.lockCustomer(trx, owner.customer.id)
      await repo.clearDefaultAddress(trx, owner.customer.id, exceptId)
      return write(trx)
    })
  }

  async function addAddress(owner: Owner, input: AddressInput): Promise<Address> {
    checkCountry(input.country)
    const values: repo.AddressValues = {
      label: input.label ?? null,
      name: input.name,
      line1: input.line1,
      line2: input.line2 ?? null,
      city: input.city,
      postal_code: input.postalCode,
      country: input.country,
      phone: input.phone ?? null,
      is_default: input.isDefault ?? false,
    }
    const insert = (executor: Executor) => repo.insertAddress(executor, owner.customer.id, values)
    return toAddress(values.is_default ? await asDefault(owner, null, insert) : await insert(db.primary))
  }

  async function updateAddress(owner: Owner, id: number, patch: AddressPatch): Promise<Address> {
    checkCountry(patch.country)
    const columns = columnsOf(patch)
    if (Object.keys(columns).length === 0) throw invalid('CUSTOMERS_EMPTY_CHANGE', 'Name at least one field to change.')
    const update = async (executor: Executor) => {
      const row = await repo.updateAddress(executor, owner.customer.id, id, columns)
      if (!row) throw addressNotFound(id)
      return row
    }
    return toAddress(patch.isDefault ? await asDefault(owner, id, update) : await update(db.primary))
  }

  async function deleteAddress(owner: Owner, id: number): Promise<void> {
    if ((await repo.deleteAddress(db.primary, owner.customer.id, id)) === 0) throw addressNotFound(id)
  }

  async function listAddresses(owner: Owner): Promise<Address[]> {
    return (await repo.listAddresses(db.primary, owner.customer.id)).map(toAddress)
  }

  return { addAddress, updateAddress, deleteAddress, listAddresses }
}
