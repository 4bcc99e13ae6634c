export type { Address, AddressInput, AddressPatch } from './customers.addresses.ts'
export { customerOf, registerCustomerAuthentication, registerCustomerRoutes } from './customers.routes.ts'
export {
  type Customer,
  type CustomerSession,
  type CustomersOptions,
  type CustomersService,
  createCustomersService,
  type IssuedSession,
  isCustomerSessionToken,
  SESSION_DAYS,
  type SignInInput,
  type SignUpInput,
  type UpdateMeInput,
} from './customers.service.ts'
export { COUNTRY_CODES } from './customers.countries.ts'
export { ShippingAddressBody } from './customers.schemas.ts'
