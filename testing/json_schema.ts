/**
 * A small JSON Schema checker for tests: the keywords the server API's
 * OpenAPI document uses (`$ref` into its components, `type`, `properties`,
 * `required`, `items`, `enum`, `const`, bounds), enough to check that an
 * answer has the shape the document promises.
 *
 * @module
 */

type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "integer";
  return typeof value;
}

/**
 * The ways `value` breaks `schema`.
 *
 * @param value The value to check.
 * @param schema The schema.
 * @param schemas The named schemas a `$ref` (`#/components/schemas/Name`) may point to.
 * @param at Where `value` is, for the messages.
 * @returns One message per problem; none when the value fits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { schemaErrors } from "./json_schema.ts";
 *
 * const schema = { type: "object", required: ["id"], properties: { id: { type: "integer" } } };
 * assert.deepEqual(schemaErrors({ id: 1 }, schema, {}), []);
 * assert.deepEqual(schemaErrors({ id: "1" }, schema, {}), ["$.id: expected integer, got string"]);
 * ```
 */
export function schemaErrors(
  value: unknown,
  schema: Schema,
  schemas: Record<string, Schema>,
  at = "$",
): string[] {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = schemas[name];
    if (target === undefined) return [`${at}: unknown $ref ${schema.$ref}`];
    return schemaErrors(value, target, schemas, at);
  }
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const allowed = [schema.type].flat() as string[];
    const fits = allowed.includes(actual) ||
      (actual === "integer" && allowed.includes("number"));
    if (!fits) {
      return [`${at}: expected ${allowed.join(" or ")}, got ${actual}`];
    }
  }
  if ("const" in schema && value !== schema.const) {
    errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) {
      errors.push(`${at}: below ${schema.minimum}`);
    }
    if (typeof schema.maximum === "number" && value > schema.maximum) {
      errors.push(`${at}: above ${schema.maximum}`);
    }
  }
  if (typeof value === "string") {
    if (
      typeof schema.minLength === "number" && value.length < schema.minLength
    ) {
      errors.push(`${at}: shorter than ${schema.minLength}`);
    }
    if (
      typeof schema.maxLength === "number" && value.length > schema.maxLength
    ) {
      errors.push(`${at}: longer than ${schema.maxLength}`);
    }
  }
  if (actual === "array" && typeof schema.items === "object") {
    (value as unknown[]).forEach((item, i) =>
      errors.push(
        ...schemaErrors(item, schema.items as Schema, schemas, `${at}[${i}]`),
      )
    );
  }
  if (actual === "object") {
    const object = value as Record<string, unknown>;
    for (const name of (schema.required ?? []) as string[]) {
      if (!(name in object)) errors.push(`${at}: missing ${name}`);
    }
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [name, property] of Object.entries(properties)) {
      if (name in object) {
        errors.push(
          ...schemaErrors(object[name], property, schemas, `${at}.${name}`),
        );
      }
    }
  }
  return errors;
}
