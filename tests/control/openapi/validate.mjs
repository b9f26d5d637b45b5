// Validates an OpenAPI document (file given as argv[2]) against the OpenAPI
// 3.0 schema and its rules (@apidevtools/swagger-parser validate()), then
// prints every "METHOD path" on stdout, one per line.
import SwaggerParser from "@apidevtools/swagger-parser";
import { readFileSync } from "node:fs";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
try {
  const api = await SwaggerParser.validate(structuredClone(doc));
  for (const [path, ops] of Object.entries(api.paths))
    for (const method of Object.keys(ops)) console.log(`${method.toUpperCase()} ${path}`);
} catch (e) {
  console.error(`invalid OpenAPI document: ${e.message}`);
  process.exit(1);
}
