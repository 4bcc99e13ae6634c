import { type TSchema, Type } from 'typebox'
import { Id, Text } from '../../infra/http/schemas.ts'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** No leading or trailing blanks. */
const TRIMMED = '^\\S(.*\\S)?$'

export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 200

const Email = Text({ format: 'email', minLength: 3, maxLength: 254, description: 'Unique whatever its case' })
const PersonName = Text({ minLength: 1, maxLength: 200, pattern: TRIMMED })
const NewPassword = Text({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters; stored only as a scrypt hash`,
})
/** Any length an account may have been given: a shorter one is simply wrong. */
const GivenPassword = Text({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH })

export const SignUpBody = Type.Object({ email: Email, name: PersonName, password: NewPassword }, { additionalProperties: false })

export const SignInBody = Type.Object(
  {
    email: Email,
    password: GivenPassword,
    cartToken: Type.Optional(
      Text({ maxLength: 100, description: "A guest cart's token: its lines move into the customer's cart, and it is deleted" }),
    ),
  },
  { additionalProperties: false },
)

export const UpdateMeBody = Type.Object(
  {
    name: Type.Optional(PersonName),
    newPassword: Type.Optional(NewPassword),
    currentPassword: Type.Optional(Text({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Needed with newPassword' })),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const Customer = Type.Object(
  {
    id: Id,
    email: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A shopper account; never its password or its hash' },
)

export const Session = Type.Object(
  {
    token: Type.String({
      description: 'Send as "Authorization: Bearer <token>"; shown in this response only, stored as a hash',
    }),
    customer: Customer,
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A signed-in session' },
)

const addressFields = {
  label: Nullable(Text({ minLength: 1, maxLength: 100, pattern: TRIMMED, description: 'Such as "home" or "work"' })),
  name: PersonName,
  line1: Text({ minLength: 1, maxLength: 200, pattern: TRIMMED }),
  line2: Nullable(Text({ minLength: 1, maxLength: 200, pattern: TRIMMED })),
  city: Text({ minLength: 1, maxLength: 100, pattern: TRIMMED }),
  postalCode: Text({ minLength: 1, maxLength: 20, pattern: TRIMMED }),
  country: Text({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code, upper case: DE, FR, US' }),
  phone: Nullable(Text({ pattern: '^\\+?[0-9][0-9 ()./-]{2,39}$', maxLength: 40 })),
  isDefault: Type.Boolean({ description: 'The address checkout offers first; at most one is' }),
}

export const AddAddressBody = Type.Object(
  {
    ...addressFields,
    label: Type.Optional(addressFields.label),
    line2: Type.Optional(addressFields.line2),
    phone: Type.Optional(addressFields.phone),
    isDefault: Type.Optional(addressFields.isDefault),
  },
  { additionalProperties: false },
)

/** An address as checkout takes it: copied into the order, not kept in an address book. */
export const ShippingAddressBody = Type.Object(
  {
    name: addressFields.name,
    line1: addressFields.line1,
    line2: Type.Optional(addressFields.line2),
    city: addressFields.city,
    postalCode: addressFields.postalCode,
    country: addressFields.country,
    phone: Type.Optional(addressFields.phone),
  },
  { additionalProperties: false },
)

export const UpdateAddressBody = Type.Partial(Type.Object(addressFields), { additionalProperties: false, minProperties: 1 })

export const Address = Type.Object({
  id: Id,
  label: Nullable(Type.String()),
  name: Type.String(),
  line1: Type.String(),
  line2: Nullable(Type.String()),
  city: Type.String(),
  postalCode: Type.String(),
  country: Type.String(),
  phone: Nullable(Type.String()),
  isDefault: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
})

export const AddressList = Type.Object({ items: Type.Array(Address) })
