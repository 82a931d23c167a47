/**
 * An instance of a `Schema.Class` from fields already known to be valid,
 * without the constructor's parse. Even with `disableChecks` the
 * constructor parses every field's type and structure: 1.4 µs for a queue
 * entry, a tenth of a status poll's own work. A `Schema.Class` instance is
 * its fields assigned over the class's prototype (`Data.Class`), which is
 * what this builds; a property test holds the two alike (equal, encoded
 * alike, recognised by the schema) for arbitrary fields.
 */
export const trustedInstance = <Self>(Class: { readonly prototype: Self }, fields: object): Self =>
  Object.assign(Object.create(Class.prototype as object) as object, fields) as Self
