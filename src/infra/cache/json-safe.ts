/**
 * Whether a value survives JSON unchanged, as an entry must: Redis holds it as JSON, and a Date, a
 * BigInt, a Map or a class instance would come back as something else (or not at all) from there,
 * while this process's memory tier served the original — the silent failure ERPNext's cache had.
 */

/** Where `value` stops being plain JSON (`.units[0].createdAt is a Date`), or undefined when it is. */
export function findUnserializable(value: unknown, path = ''): string | undefined {
  const at = path === '' ? 'the value' : path
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `${at} is ${value}`
    case 'object': {
      if (value === null) return undefined
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = findUnserializable(value[i], `${path}[${i}]`)
          if (found) return found
        }
        return undefined
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return `${at} is a ${value.constructor?.name ?? 'class instance'}`
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined) return `${path}.${key} is undefined (JSON drops it)`
        const found = findUnserializable(item, `${path}.${key}`)
        if (found) return found
      }
      return undefined
    }
    default:
      return `${at} is a ${typeof value}`
  }
}
